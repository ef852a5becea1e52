"""Implementation of deploy/local/stack (see stack.py beside this package for usage).

Standard library only and imported from the entry script's own directory, so it runs
before the project's venv exists. One module per job; imports flow downward:

    errors, config  <- proc  <- apt  <- service  <- kafka, postgres, redis, openbao  <- cli
                                                     kafka  <- cluster  <- cli
"""
