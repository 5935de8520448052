from specs.mdoc.transcript import SessionTranscript
from specs.qr.presentation import QrResponse

MAX_TEXT: int
MAX_MESSAGE: int
MIN_NONCE: int
MAX_NONCE: int
MAX_TIME: int

def setup(versions: tuple[tuple[str, bytes, int], ...], one_way_head: bytes, handover_id: str, response: type,
          response_fields: tuple[str, ...], transcript: type, transcript_fields: tuple[str, ...], /) -> None: ...
def read(text: str, /) -> tuple[QrResponse, SessionTranscript | None] | None: ...
