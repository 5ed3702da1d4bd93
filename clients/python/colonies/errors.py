"""The exceptions the client raises: the server's error replies, and failures to reach it."""


class ColoniesError(Exception):
    """A server's error reply ``{"error": {"code", "message", "details"}}``, or a client-side failure.

    ``code`` is the server's error code (``PROCESS_NOT_FOUND``, ``VALIDATION_FAILED``, ...) or one of the
    client's own: ``UNREACHABLE`` (no answer), ``BAD_RESPONSE`` (an answer that is not the API's),
    ``TIMEOUT`` (a wait ran out).
    """

    def __init__(self, code, message, status=0, details=None, retry_after=None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.details = details
        # Seconds, from the server's Retry-After (503 UNAVAILABLE): when to ask again.
        self.retry_after = retry_after

    def __str__(self):
        return f"{self.code}: {self.message}"

    def __repr__(self):
        return f"ColoniesError({self.code!r}, {self.message!r}, status={self.status})"


class ColoniesConnectionError(ColoniesError):
    """The server could not be reached (code ``UNREACHABLE``); pycolonies scripts catch this name."""

    def __init__(self, message):
        super().__init__("UNREACHABLE", message)
