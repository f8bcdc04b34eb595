"""The h11 protocol fluxtrap serves the app with on uvicorn: a deadline for each request head.

uvicorn has no timeout for a client that opens a connection and sends its headers slowly or not
at all: 500 such connections, from anyone, held every slot of ``--max-connections`` and every
request was a 503 for as long as they stayed open. Here a connection whose request head is not
whole ``HEADER_TIMEOUT_S`` after it opened (or after its last answer, uvicorn's keep-alive
timeout) is closed. A body that stalls is ``limits.Guard``'s to refuse while the app reads it;
a body still arriving once the answer is sent (a GET's, or one the app refused unread) closes
the connection: trickled at a byte every few seconds after a ``GET /login`` that declared 16 000
bytes, 19 such connections from nobody held every slot of a server for as long as they went on.

A request head beyond h11's buffer (``h11_max_incomplete_event_size``, 16 KiB by default: a 70 KB
query, 20 000 headers) is a 414 (its request line not ended within it) or a 431 (its header
fields) saying so in one line, as ``limits.Guard`` answers the heads that fit the buffer; it was
uvicorn's plain 400 "Invalid HTTP request received.".
"""

from __future__ import annotations

import asyncio
from http import HTTPStatus

import h11
from uvicorn.protocols.http.h11_impl import DEFAULT_MAX_INCOMPLETE_EVENT_SIZE, H11Protocol

HEADER_TIMEOUT_S = 10.0


class TimelyH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, closing a connection whose request head is not whole within
    ``HEADER_TIMEOUT_S`` of its opening or of its last answer (uvicorn's keep-alive timer does
    not do it: any byte received cancels it), or whose body is still coming once answered."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._head_due: asyncio.TimerHandle | None = None
        self._await_head()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self._head_due is not None and self.conn.their_state is not h11.IDLE:
            self._head_due.cancel()  # the head is whole: the body has Guard's deadline
            self._head_due = None

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self.conn.their_state is h11.SEND_BODY and not self.transport.is_closing():
            self.transport.close()  # answered, its body unread and still coming: nobody needs it
        if not self.transport.is_closing():
            self._await_head()

    def send_400_response(self, msg: str) -> None:
        """uvicorn's 400 for a request h11 cannot read; a head beyond h11's buffer and not ended
        in it a 414 (the request line) or 431 (the header fields) saying so."""
        head, _ = self.conn.trailing_data
        limit = self.config.h11_max_incomplete_event_size or DEFAULT_MAX_INCOMPLETE_EVENT_SIZE
        if len(head) <= limit or b"\r\n\r\n" in head:
            return super().send_400_response(msg)
        status, what = (414, "line (its URL)") if b"\n" not in head else (431, "head (its headers)")
        why = f"the request {what} is over {limit} bytes, the most this server reads\n"
        response = h11.Response(
            status_code=status,
            reason=HTTPStatus(status).phrase.encode(),
            headers=[(b"content-type", b"text/plain; charset=utf-8"), (b"connection", b"close")],
        )
        for event in (response, h11.Data(data=why.encode()), h11.EndOfMessage()):
            self.transport.write(self.conn.send(event))
        self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._head_due is not None:
            self._head_due.cancel()
        super().connection_lost(exc)

    def _await_head(self) -> None:
        if self._head_due is not None:
            self._head_due.cancel()
        self._head_due = self.loop.call_later(HEADER_TIMEOUT_S, self._head_late)

    def _head_late(self) -> None:
        self._head_due = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.close()
