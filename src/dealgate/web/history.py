"""What a browser's address bar holds after a form sent by htmx. A boosted form's answer is
pushed under the form's action (/account/password): when that answer is a page rather than
a redirect (a refusal shown on the form, a token shown once), a reload asked the action with
GET and got "Not allowed here". Such answers now leave the address where the form was."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class KeepAddressAfterForms:
    """Plain ASGI, as `BodyLimit`: adds `HX-Push-Url: false` to the page answering a boosted
    form's POST, unless the route said where the address should go."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        boosted = (b"hx-boosted", b"true") in scope.get("headers", [])
        if scope["type"] != "http" or scope["method"] != "POST" or not boosted:
            await self.app(scope, receive, send)
            return

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start" and not 300 <= message["status"] < 400:
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                html = any(
                    name.lower() == b"content-type" and value.startswith(b"text/html")
                    for name, value in headers
                )
                if html and b"hx-push-url" not in names:
                    message = {**message, "headers": [*headers, (b"hx-push-url", b"false")]}
            await send(message)

        await self.app(scope, receive, sending)
