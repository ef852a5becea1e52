"""The web console the gateway serves at ``/console``: server-rendered pages for operators and
tenant users (sign-in, tenants, connections, keys, usage, conversations, a message's journey,
DLQ and held entries, pipeline health).

Views parse a form, call one tenancy service or one ``pipeline.ops`` / ``pipeline.store``
function, and render a template: no SQL here. Everything secret stays out of the HTML (an
API key is shown once, on the page that created it).
"""
