"""The images' own programs: nginx, generic HTTP apps, an app that needs its config, redis, postgres, python.

Each behaves like the real image at the level ktui can observe: startup log lines, the listener on its
port, the answers it gives, how it fails.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from ktui.sandbox.kubelet.coreutils import IO
from ktui.sandbox.kubelet.http import Request, Response, http_date, serve_http
from ktui.sandbox.kubelet.programs import _ENTRY_SCRIPTS, APPS
from ktui.sandbox.kubelet.runtime import Container, Exit

WELCOME = b"""<!DOCTYPE html>
<html>
<head>
<title>Welcome to nginx!</title>
<style>
html { color-scheme: light dark; }
body { width: 35em; margin: 0 auto;
font-family: Tahoma, Verdana, Arial, sans-serif; }
</style>
</head>
<body>
<h1>Welcome to nginx!</h1>
<p>If you see this page, the nginx web server is successfully installed and
working. Further configuration is required.</p>

<p>For online documentation and support please refer to
<a href="http://nginx.org/">nginx.org</a>.<br/>
Commercial support is available at
<a href="http://nginx.com/">nginx.com</a>.</p>

<p><em>Thank you for using nginx.</em></p>
</body>
</html>
"""

_ENTRYPOINT_LINES = (
    "/docker-entrypoint.sh: /docker-entrypoint.d/ is not empty, will attempt to perform configuration\n"
    """/docker-entrypoint.sh: Looking for shell scripts in /docker-entrypoint.d/
/docker-entrypoint.sh: Launching /docker-entrypoint.d/10-listen-on-ipv6-by-default.sh
10-listen-on-ipv6-by-default.sh: info: Getting the checksum of /etc/nginx/conf.d/default.conf
10-listen-on-ipv6-by-default.sh: info: Enabled listen on IPv6 in /etc/nginx/conf.d/default.conf
/docker-entrypoint.sh: Sourcing /docker-entrypoint.d/15-local-resolvers.envsh
/docker-entrypoint.sh: Launching /docker-entrypoint.d/20-envsubst-on-templates.sh
/docker-entrypoint.sh: Launching /docker-entrypoint.d/30-tune-worker-processes.sh
/docker-entrypoint.sh: Configuration complete; ready for start up"""
)


def _error_page(status: int, reason: str, server: str) -> bytes:
    return (
        f"<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n<center><h1>{status} {reason}"
        f"</h1></center>\r\n<hr><center>{server}</center>\r\n</body>\r\n</html>\r\n"
    ).encode()


def _nginx_time() -> str:
    return datetime.now(UTC).strftime("%Y/%m/%d %H:%M:%S")


async def nginx(c: Container, argv: list[str], io: IO) -> int:
    """nginx as the official image runs it: welcome page on port 80, access log on stdout."""
    version = c.image.version
    if "-v" in argv or "-V" in argv:
        io.err(f"nginx version: nginx/{version}")
        return 0
    if "-t" in argv:
        io.err(
            "nginx: the configuration file /etc/nginx/nginx.conf syntax is ok\n"
            "nginx: configuration file /etc/nginx/nginx.conf test is successful"
        )
        return 0
    if c.argv and c.argv[0] in _ENTRY_SCRIPTS:
        c.out(_ENTRYPOINT_LINES)
    now = _nginx_time()
    c.err(
        "\n".join(
            f"{now} [notice] 1#1: {line}"
            for line in (
                'using the "epoll" event method',
                f"nginx/{version}",
                "built by gcc 12.2.0 (Debian 12.2.0-14) ",
                "OS: Linux 6.8.0-1015-gcp",
                "getrlimit(RLIMIT_NOFILE): 1048576:1048576",
                "start worker processes",
                "start worker process 29",
            )
        )
    )
    server = f"nginx/{version}"
    last_modified = "Tue, 26 Nov 2024 15:55:00 GMT"
    requests = 0

    async def handle(req: Request) -> Response:
        nonlocal requests
        requests += 1
        if req.method not in ("GET", "HEAD"):
            status, body, extra = 405, _error_page(405, "Not Allowed", server), []
        elif req.path in ("/", "/index.html"):
            status, body = 200, WELCOME
            extra = [("Last-Modified", last_modified), ("ETag", '"6745ef54-267"'), ("Accept-Ranges", "bytes")]
        else:
            status, body, extra = 404, _error_page(404, "Not Found", server), []
            c.err(
                f'{_nginx_time()} [error] 29#29: *{requests} open() "/usr/share/nginx/html{req.path}" failed '
                f"(2: No such file or directory), client: {req.peer}, server: localhost, request: "
                f'"{req.method} {req.target} {req.version}", host: "{req.headers.get("host", "")}"'
            )
        stamp = datetime.now(UTC).strftime("%d/%b/%Y:%H:%M:%S +0000")
        c.out(
            f'{req.peer} - - [{stamp}] "{req.method} {req.target} {req.version}" {status} {len(body)} '
            f'"{req.headers.get("referer", "-")}" "{req.headers.get("user-agent", "-")}" "-"'
        )
        headers = [("Server", server), ("Date", http_date()), ("Content-Type", "text/html"), *extra]
        return Response(status, body, headers)

    c.listen(80, lambda r, w, peer: serve_http(r, w, handle, peer))
    c.term_exit = 0  # nginx shuts down cleanly on SIGTERM
    return await c.forever()


async def http_app(c: Container, argv: list[str], io: IO) -> int:
    """A generic web app: JSON on its declared paths, 404 elsewhere, one log line per request."""
    ports = [int(p) for p in c.image.repo.get("ports") or [8080]]
    paths = {str(k): int(v) for k, v in (c.image.repo.get("paths") or {"/": 200}).items()}
    name = c.image.ref.path.rsplit("/", 1)[-1]
    c.out(f'{{"level":"info","msg":"starting {name}","version":"{c.image.version}"}}')
    for port in ports:
        c.out(f'{{"level":"info","msg":"listening","addr":":{port}"}}')

    async def handle(req: Request) -> Response:
        status = paths.get(req.path, 404)
        body = b'{"status":"ok"}\n' if status < 400 else b'{"error":"not found"}\n'
        c.out(
            f'{{"level":"info","method":"{req.method}","path":"{req.path}","status":{status},'
            f'"remote":"{req.peer}"}}'
        )
        return Response(status, body, [("Content-Type", "application/json"), ("Date", http_date())])

    for port in ports:
        c.listen(port, lambda r, w, peer: serve_http(r, w, handle, peer))
    c.term_exit = 0
    return await c.forever()


async def config_app(c: Container, argv: list[str], io: IO) -> int:
    """An app that reads its config file at start and crashes when it is missing (the app_crash class)."""
    path = str(c.image.repo.get("config", "/etc/app/config.yaml"))
    for i, arg in enumerate(argv):
        if arg == "--config" and i + 1 < len(argv):
            path = argv[i + 1]
        elif arg.startswith("--config="):
            path = arg.split("=", 1)[1]
    name = c.image.ref.path.rsplit("/", 1)[-1]
    c.out(f'{{"level":"info","msg":"starting {name}","version":"{c.image.version}"}}')
    c.out(f'{{"level":"info","msg":"loading configuration","path":"{path}"}}')
    if path not in c.files:
        c.err(
            f'{{"level":"fatal","msg":"failed to load config",'
            f'"error":"open {path}: no such file or directory"}}'
        )
        c.err(f"Error: failed to load config: open {path}: no such file or directory")
        return 1
    return await http_app(c, argv, io)


async def memory_hog(c: Container, argv: list[str], io: IO) -> int:
    """A worker that grows to its working set, then processes forever (OOMKilled under a low limit)."""
    c.out('{"level":"info","msg":"worker starting","cache":"warming"}')
    for step in range(1, 5):
        await c.sleep(0.5)
        c.out(f'{{"level":"info","msg":"cache warmed","entries":{step * 25000}}}')
    c.term_exit = 143
    while True:
        await c.sleep(30)
        c.out('{"level":"info","msg":"processed batch","jobs":128}')


async def redis(c: Container, argv: list[str], io: IO) -> int:
    """redis-server: startup banner, answers PING on 6379."""
    version = c.image.version
    stamp = datetime.now(UTC).strftime("%d %b %Y %H:%M:%S.000")
    c.out(
        f"1:C {stamp} # oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo\n"
        f"1:C {stamp} # Redis version={version}, bits=64, commit=00000000, modified=0, pid=1, just started\n"
        f"1:M {stamp} * Running mode=standalone, port=6379.\n"
        f"1:M {stamp} * Server initialized\n1:M {stamp} * Ready to accept connections tcp"
    )

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, peer: str) -> None:
        while data := await reader.readline():
            if b"PING" in data.upper():
                writer.write(b"+PONG\r\n")
            elif data.startswith(b"*") or data.startswith(b"$"):
                continue
            else:
                writer.write(b"-ERR unknown command\r\n")
            await writer.drain()

    c.listen(6379, serve)
    c.term_exit = 0
    return await c.forever()


async def postgres(c: Container, argv: list[str], io: IO) -> int:
    """postgres: refuses to initialise without POSTGRES_PASSWORD, exactly as the official image."""
    if not c.env.get("POSTGRES_PASSWORD") and c.env.get("POSTGRES_HOST_AUTH_METHOD") != "trust":
        c.err(
            "Error: Database is uninitialized and superuser password is not specified.\n"
            "       You must specify POSTGRES_PASSWORD to a non-empty value for the\n"
            '       superuser. For example, "-e POSTGRES_PASSWORD=password" on "docker run".\n\n'
            '       You may also use "POSTGRES_HOST_AUTH_METHOD=trust" to allow all\n'
            "       connections without a password. This is *not* recommended.\n\n"
            '       See PostgreSQL documentation about "trust":\n'
            "       https://www.postgresql.org/docs/current/auth-trust.html"
        )
        return 1
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.000 UTC")
    c.out(
        f"{stamp} [1] LOG:  starting PostgreSQL {c.image.version} on x86_64-pc-linux-gnu\n"
        f'{stamp} [1] LOG:  listening on IPv4 address "0.0.0.0", port 5432\n'
        f"{stamp} [1] LOG:  database system is ready to accept connections"
    )

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, peer: str) -> None:
        await reader.read(8)

    c.listen(5432, serve)
    c.term_exit = 0
    return await c.forever()


async def python(c: Container, argv: list[str], io: IO) -> int:
    """python: ``-m http.server [port]`` serves a listing; a script that is not there exits 2."""
    args = argv[1:]
    if not args or args[0] in ("-i",):
        return 0  # no terminal: the REPL reads EOF and exits
    if args[:2] == ["-m", "http.server"]:
        port = int(args[2]) if len(args) > 2 and args[2].isdigit() else 8000
        c.out(f"Serving HTTP on 0.0.0.0 port {port} (http://0.0.0.0:{port}/) ...")

        async def handle(req: Request) -> Response:
            c.err(
                f'{req.peer} - - [{datetime.now(UTC).strftime("%d/%b/%Y %H:%M:%S")}] "{req.method} '
                f'{req.target} {req.version}" 200 -'
            )
            body = (
                b'<!DOCTYPE HTML>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
                b"<title>Directory listing for /</title>\n</head>\n<body>\n<h1>Directory listing for /</h1>\n"
                b"<hr>\n<ul>\n</ul>\n<hr>\n</body>\n</html>\n"
            )
            return Response(
                200,
                body,
                [
                    ("Server", f"SimpleHTTP/0.6 Python/{c.image.version}"),
                    ("Date", http_date()),
                    ("Content-type", "text/html; charset=utf-8"),
                ],
            )

        c.listen(port, lambda r, w, peer: serve_http(r, w, handle, peer))
        return await c.forever()
    if args[0] == "-c":
        return 0
    script = args[0]
    if script not in c.files:
        io.err(f"python3: can't open file '/{script.lstrip('/')}': [Errno 2] No such file or directory")
        raise Exit(2)
    return 0


async def pause(c: Container, argv: list[str], io: IO) -> int:
    """The pause container: does nothing, forever."""
    c.term_exit = 0
    return await c.forever()


APPS.update(
    {
        "nginx": nginx,
        "http-app": http_app,
        "config-app": config_app,
        "memory-hog": memory_hog,
        "redis": redis,
        "postgres": postgres,
        "python": python,
        "pause": pause,
    }
)
