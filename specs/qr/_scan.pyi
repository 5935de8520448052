MAX_TEXT: int
MAX_MESSAGE: int
MIN_NONCE: int
MAX_NONCE: int
MAX_TIME: int

def read(text: str, versions: tuple[tuple[str, bytes, int], ...], /) -> tuple[int, str, bytes | str, bytes | None,
                                                                              int | None] | None: ...
