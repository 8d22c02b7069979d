"""A real SFTP server on loopback for the HR files tests: asyncssh's, in a thread.

Password authentication, an ed25519 host key made per server, every session
chrooted to `root`.  `hold_renames()` makes renames wait until `release()`, so a
test can kill an uploader between upload and rename; `go_down()` stops
listening, `come_up()` listens again on the same port.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import asyncssh

USERNAME = "hr-upload"
PASSWORD = "sftp-test-password"


class _Server(asyncssh.SSHServer):
    def begin_auth(self, username: str) -> bool:
        return True

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        return username == USERNAME and password == PASSWORD


class SftpServer:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)
        self.port = 0
        self.host_key = asyncssh.generate_private_key("ssh-ed25519")
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.listener = None
        self.renames_held = threading.Event()
        self.renames_released = threading.Event()
        self.holding = False
        self.come_up()

    @property
    def known_host(self) -> str:
        return self.host_key.export_public_key("openssh").decode().strip()

    def come_up(self) -> None:
        if self.listener is None:
            self.listener = self._run(self._listen())
            self.port = self.listener.sockets[0].getsockname()[1]

    def go_down(self) -> None:
        if self.listener is not None:
            listener, self.listener = self.listener, None
            listener.close()
            self._run(listener.wait_closed())

    def stop(self) -> None:
        self.release()
        self.go_down()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)

    def hold_renames(self) -> None:
        self.renames_released.clear()
        self.renames_held.clear()
        self.holding = True

    def release(self) -> None:
        self.holding = False
        self.renames_released.set()

    def _run(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=30)

    async def _listen(self):
        server = self

        class HoldingSftp(asyncssh.SFTPServer):
            def __init__(self, chan):
                super().__init__(chan, chroot=str(server.root).encode())

            async def posix_rename(self, oldpath, newpath):
                if server.holding:
                    server.renames_held.set()
                    await asyncio.get_running_loop().run_in_executor(
                        None, server.renames_released.wait
                    )
                return super().posix_rename(oldpath, newpath)

        return await asyncssh.listen(
            "127.0.0.1",
            self.port,
            server_host_keys=[self.host_key],
            server_factory=_Server,
            sftp_factory=HoldingSftp,
            allow_scp=False,
        )
