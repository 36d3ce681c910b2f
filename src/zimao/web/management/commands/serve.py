"""``zimao serve``: the web server (gunicorn) and the background worker, together.

Stop it with Ctrl-C; both processes stop. Static files are served by WhiteNoise.

Before its worker starts, ``serve`` puts back in the queue the tasks a dead worker left RUNNING
(after a crash or a power cut — see ``zimao.core.recovery``): on a single node no other worker
can hold them. Where several nodes share one task queue, pass ``--shared-queue``: only tasks
running longer than any task takes are requeued, as ``zimao sweep`` does. Either way a task whose
worker still holds a live lease (``zimao.core.recovery``) is never taken from it.

Supervision (进程监管): the web server and the worker die with ``serve`` — on Linux through the
kernel's parent-death signal, so even a SIGKILLed ``serve`` leaves nothing behind; the port is
checked before anything else happens, and ``serve`` exits non-zero when it cannot bind or when a
child it started dies on its own.
"""

import errno
import os
import signal
import socket
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from zimao.core.supervision import child_preexec


class Command(BaseCommand):
    help = "Serve zimao: gunicorn + the task worker. 启动服务。"

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", default="8000")
        parser.add_argument("--workers", type=int, default=int(os.environ.get("ZIMAO_WEB_WORKERS", 2)))
        parser.add_argument("--threads", type=int, default=int(os.environ.get("ZIMAO_WEB_THREADS", 4)))
        parser.add_argument("--no-worker", action="store_true", help="do not start the background worker")
        parser.add_argument(
            "--shared-queue",
            action="store_true",
            help="other nodes' workers share this task queue: requeue only stale tasks at start",
        )

    def recover(self, *, shared_queue: bool) -> list[str]:
        """Requeue the work a dead worker had claimed — 恢复中断的任务 — before ours starts."""
        from zimao.core.recovery import DEFAULT_TASK_TIMEOUT, requeue_orphaned_tasks

        ids = requeue_orphaned_tasks(DEFAULT_TASK_TIMEOUT if shared_queue else None, actor="system:serve")
        if ids:
            self.stdout.write(
                f"已重新排队 {len(ids)} 个中断的后台任务 requeued {len(ids)} task(s) left by a dead worker"
            )
        return ids

    def check_port(self, host: str, port: int) -> None:
        """Fail before touching the task queue if the address is taken — 端口检查."""
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gunicorn binds
            try:
                probe.bind((host, port))
            except OSError as exc:
                reason = "端口已被占用 address already in use" if exc.errno == errno.EADDRINUSE else str(exc)
                raise CommandError(f"无法监听 cannot listen on {host}:{port}: {reason}") from None

    def handle(self, *args, **options):
        host, port = options["host"], int(options["port"])
        self.check_port(host, port)
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "zimao.settings")}
        # Links the worker makes outside any request (notifications) point where this server
        # listens, unless the deployment configured its public address (ZIMAO_SITE_URL).
        env["ZIMAO_SERVED_AT"] = served_at(host, port)
        web = [
            sys.executable,
            "-m",
            "gunicorn",
            "zimao.wsgi:application",
            "--bind",
            f"{host}:{port}",
            "--config",
            "python:zimao.web.gunicorn_conf",
            "--workers",
            str(options["workers"]),
            "--threads",
            str(options["threads"]),
            "--access-logfile",
            "-",
            # above settings.MAX_REQUEST_TARGET, so Django answers most long URIs itself (bilingual 414)
            "--limit-request-line",
            str(settings.GUNICORN_LIMIT_REQUEST_LINE),
        ]
        if not options["no_worker"]:
            self.recover(shared_queue=options["shared_queue"])
        preexec = child_preexec(os.getpid())
        procs = [("web", subprocess.Popen(web, env=env, preexec_fn=preexec))]
        if not options["no_worker"]:
            procs.append(
                (
                    "worker",
                    subprocess.Popen(
                        [sys.executable, "-m", "zimao", "worker", "--interval", "0.2", "--no-reload"],
                        env=env,
                        preexec_fn=preexec,
                    ),
                )
            )
        self.stdout.write(f"zimao 正在运行 serving at http://{host}:{port}/  (Ctrl-C 停止 to stop)")
        stopping = False

        def stop(*_):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        died = None
        try:
            while not stopping:
                died = next(((name, p) for name, p in procs if p.poll() is not None), None)
                if died is not None:
                    break
                time.sleep(0.2)
        finally:
            for _name, p in procs:
                if p.poll() is None:
                    p.terminate()
            for _name, p in procs:
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        if died is not None and not stopping:
            name, proc = died
            raise CommandError(
                f"{name} 进程意外退出 exited on its own (code {proc.returncode}); zimao serve stops",
                returncode=proc.returncode or 1,
            )


def served_at(host: str, port: int) -> str:
    """``http://host:port`` as a browser on this machine reaches it (a wildcard bind is reached
    at the loopback address; an IPv6 address goes in brackets)."""
    shown = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)  # noqa: S104 - reading a bind address, not binding
    return f"http://[{shown}]:{port}" if ":" in shown else f"http://{shown}:{port}"
