"""``zimao serve``: the web server (gunicorn) and the background worker, together.

Stop it with Ctrl-C; both processes stop. Static files are served by WhiteNoise.

Before its worker starts, ``serve`` puts back in the queue the tasks a dead worker left RUNNING
(after a crash or a power cut — see ``zimao.core.recovery``): on a single node no other worker
can hold them. Where several nodes share one task queue, pass ``--shared-queue``: only tasks
running longer than any task takes are requeued, as ``zimao sweep`` does.
"""

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve zimao: gunicorn + the task worker. 启动服务。"

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", default="8000")
        parser.add_argument("--workers", type=int, default=int(os.environ.get("ZIMAO_WEB_WORKERS", 2)))
        parser.add_argument("--threads", type=int, default=int(os.environ.get("ZIMAO_WEB_THREADS", 4)))
        parser.add_argument("--no-worker", action="store_true", help="do not start the background worker")
        parser.add_argument("--shared-queue", action="store_true",
                            help="other nodes' workers share this task queue: requeue only stale tasks at start")

    def recover(self, *, shared_queue: bool) -> list[str]:
        """Requeue the work a dead worker had claimed — 恢复中断的任务 — before ours starts."""
        from zimao.core.recovery import DEFAULT_TASK_TIMEOUT, requeue_orphaned_tasks

        ids = requeue_orphaned_tasks(DEFAULT_TASK_TIMEOUT if shared_queue else None, actor="system:serve")
        if ids:
            self.stdout.write(f"已重新排队 {len(ids)} 个中断的后台任务 requeued {len(ids)} task(s) left by a dead worker")
        return ids

    def handle(self, *args, **options):
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "zimao.settings")}
        web = [sys.executable, "-m", "gunicorn", "zimao.wsgi:application", "--bind", f"{options['host']}:{options['port']}",
               "--workers", str(options["workers"]), "--threads", str(options["threads"]), "--access-logfile", "-",
               # above settings.MAX_REQUEST_TARGET, so Django answers most long URIs itself (bilingual 414)
               "--limit-request-line", str(settings.GUNICORN_LIMIT_REQUEST_LINE)]
        if not options["no_worker"]:
            self.recover(shared_queue=options["shared_queue"])
        procs = [subprocess.Popen(web, env=env)]
        if not options["no_worker"]:
            procs.append(subprocess.Popen([sys.executable, "-m", "zimao", "db_worker", "--interval", "0.2"], env=env))
        self.stdout.write(f"zimao 正在运行 serving at http://{options['host']}:{options['port']}/  (Ctrl-C 停止 to stop)")
        stopping = False

        def stop(*_):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            while not stopping and all(p.poll() is None for p in procs):
                time.sleep(0.5)
        finally:
            for p in procs:
                if p.poll() is None:
                    p.terminate()
            for p in procs:
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
