"""The console's errors: a form that cannot be used (shown on the form, never a 500)."""

from __future__ import annotations

from pipeline.errors import PipelineError


class ConsoleError(PipelineError):
    """Category root of the console."""

    code = "console_error"


class FormError(ConsoleError):
    """A posted form that cannot be used: one message per field, and one for the form.

    Attributes:
        fields: field name (as the form posts it) -> what is wrong with it, in words.
    """

    code = "form_invalid"

    def __init__(
        self, fields: dict[str, str], message: str = "Please correct the fields marked below."
    ) -> None:
        super().__init__(message)
        self.fields = fields

    @property
    def summary(self) -> str:
        """The sentence shown above the form."""
        return self.message
