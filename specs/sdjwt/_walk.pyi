from collections.abc import Callable
from typing import Any

DEFER: object

def disclose(parts: list[str], decode_text: Callable[[str], object], scan_once: Callable[[str, int], Any],
             b64_defer: object, /) -> list[tuple[str | None, Any, str]] | object: ...
def present(text: str, decode_text: Callable[[str], object], scan_once: Callable[[str, int], Any],
            b64_defer: object, /) -> tuple[str, str | None, str, list[tuple[str | None, Any, str]]] | object: ...
def walk(disclosed: list[tuple[str | None, Any, str]], payload: Any, hasher: Callable[[bytes], Any],
         encode: Callable[[bytes], str], /) -> tuple[dict[str, Any], list[tuple[str | int, ...]]] | object: ...
