"""A minimal IMAP4rev1 server on 127.0.0.1 for the polling tests.

It speaks just enough of RFC 3501 for imaplib: CAPABILITY, NOOP, LOGIN, SELECT/EXAMINE, STATUS,
UID SEARCH (UNSEEN / ALL), UID FETCH (BODY.PEEK[] / BODY[] / RFC822, with FLAGS and UID),
UID STORE (+FLAGS / -FLAGS), LOGOUT. Messages live in memory; `commands` records every command
so tests can check the order (FETCH, then STORE \\Seen only after the intake committed).
"""

from __future__ import annotations

import re
import socketserver
import threading
from dataclasses import dataclass, field


@dataclass
class StoredMessage:
    uid: int
    raw: bytes
    flags: set[str] = field(default_factory=set)


_TOKEN = re.compile(r'"((?:[^"\\]|\\.)*)"|(\([^)]*\))|(\S+)')


def _tokens(text: str) -> list[str]:
    out = []
    for quoted, paren, bare in _TOKEN.findall(text):
        if quoted or (not paren and not bare):
            out.append(re.sub(r"\\(.)", r"\1", quoted))
        else:
            out.append(paren or bare)
    return out


class _Handler(socketserver.StreamRequestHandler):
    server: _Server

    def send(self, line: str | bytes) -> None:
        data = line.encode() if isinstance(line, str) else line
        self.wfile.write(data + b"\r\n")

    def handle(self) -> None:
        state = self.server.state
        self.send("* OK [CAPABILITY IMAP4rev1] Switchboard test IMAP ready")
        authed = False
        selected = False
        while True:
            line = self.rfile.readline()
            if not line:
                return
            text = line.decode("utf-8", "replace").rstrip("\r\n")
            parts = text.split(" ", 2)
            if len(parts) < 2:
                self.send("* BAD missing command")
                continue
            tag, command = parts[0], parts[1].upper()
            args = parts[2] if len(parts) > 2 else ""
            with state.lock:
                state.commands.append(f"{command} {args}".strip())
            if command == "CAPABILITY":
                self.send("* CAPABILITY IMAP4rev1")
                self.send(f"{tag} OK CAPABILITY completed")
            elif command == "NOOP":
                self.send(f"{tag} OK NOOP completed")
            elif command == "LOGOUT":
                self.send("* BYE logging out")
                self.send(f"{tag} OK LOGOUT completed")
                return
            elif command == "LOGIN":
                user, password = [*_tokens(args), "", ""][:2]
                if (user, password) == (state.user, state.password):
                    authed = True
                    self.send(f"{tag} OK LOGIN completed")
                else:
                    self.send(f"{tag} NO [AUTHENTICATIONFAILED] invalid credentials")
            elif not authed:
                self.send(f"{tag} BAD log in first")
            elif command in ("SELECT", "EXAMINE"):
                selected = True
                with state.lock:
                    count, validity = len(state.messages), state.uidvalidity
                    uidnext = state.next_uid
                self.send(f"* {count} EXISTS")
                self.send("* 0 RECENT")
                self.send(f"* OK [UIDVALIDITY {validity}] UIDs valid")
                self.send(f"* OK [UIDNEXT {uidnext}] predicted next UID")
                self.send("* FLAGS (\\Seen \\Deleted)")
                self.send(f"{tag} OK [READ-WRITE] {command} completed")
            elif command == "STATUS":
                with state.lock:
                    self.send(f'* STATUS "INBOX" (UIDVALIDITY {state.uidvalidity})')
                self.send(f"{tag} OK STATUS completed")
            elif command == "UID" and selected:
                self._uid(tag, args)
            else:
                self.send(f"{tag} BAD unsupported command {command}")

    def _uid(self, tag: str, args: str) -> None:
        state = self.server.state
        sub, _, rest = args.partition(" ")
        sub = sub.upper()
        if sub == "SEARCH":
            criteria = rest.upper().split()
            with state.lock:
                uids = [
                    m.uid
                    for m in state.messages
                    if "UNSEEN" not in criteria or "\\Seen" not in m.flags
                ]
            self.send("* SEARCH" + "".join(f" {u}" for u in uids))
            self.send(f"{tag} OK SEARCH completed")
        elif sub == "FETCH":
            uid_text, _, items = rest.partition(" ")
            with state.lock:
                found = [(i, m) for i, m in enumerate(state.messages, 1) if str(m.uid) == uid_text]
            for seq, message in found:
                peek = "PEEK" in items.upper()
                if not peek:
                    message.flags.add("\\Seen")
                key = "RFC822" if "RFC822" in items.upper() else "BODY[]"
                head = f"* {seq} FETCH (UID {message.uid} {key} {{{len(message.raw)}}}".encode()
                self.wfile.write(head + b"\r\n" + message.raw + b")\r\n")
            self.send(f"{tag} OK FETCH completed")
        elif sub == "STORE":
            uid_text, _, change = rest.partition(" ")
            mode, _, flags = change.partition(" ")
            names = set(flags.strip("()").split())
            with state.lock:
                for seq, message in enumerate(state.messages, 1):
                    if str(message.uid) != uid_text:
                        continue
                    if mode.upper().startswith("+"):
                        message.flags |= names
                    elif mode.upper().startswith("-"):
                        message.flags -= names
                    flag_text = " ".join(sorted(message.flags))
                    self.send(f"* {seq} FETCH (UID {message.uid} FLAGS ({flag_text}))")
            self.send(f"{tag} OK STORE completed")
        else:
            self.send(f"{tag} BAD unsupported UID command")


@dataclass
class _State:
    user: str
    password: str
    uidvalidity: int = 1
    next_uid: int = 1
    messages: list[StoredMessage] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    state: _State


class ImapServer:
    """`with ImapServer() as imap: imap.add(raw); poll_once(imap.url)`."""

    def __init__(self, user: str = "support", password: str = 'p@ss "word"') -> None:
        self.server = _Server(("127.0.0.1", 0), _Handler)
        self.server.state = _State(user=user, password=password)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def state(self) -> _State:
        return self.server.state

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    @property
    def url(self) -> str:
        from urllib.parse import quote

        user = quote(self.state.user, safe="")
        password = quote(self.state.password, safe="")
        return f"imap://{user}:{password}@127.0.0.1:{self.port}/INBOX"

    def add(self, raw: bytes, *, seen: bool = False) -> int:
        with self.state.lock:
            uid = self.state.next_uid
            self.state.next_uid += 1
            self.state.messages.append(StoredMessage(uid, raw, {"\\Seen"} if seen else set()))
        return uid

    def unseen(self) -> list[int]:
        with self.state.lock:
            return [m.uid for m in self.state.messages if "\\Seen" not in m.flags]

    def rebuild(self, uidvalidity: int) -> None:
        """A rebuilt mailbox: new UIDVALIDITY, UIDs start over."""
        with self.state.lock:
            self.state.uidvalidity = uidvalidity
            for number, message in enumerate(self.state.messages, 1):
                message.uid = number
            self.state.next_uid = len(self.state.messages) + 1

    def __enter__(self) -> ImapServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
