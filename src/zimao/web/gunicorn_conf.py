"""gunicorn settings for ``zimao serve`` (``--config python:zimao.web.gunicorn_conf``).

Each web worker dies with its master (parent-death signal): gunicorn's own check of its parent
runs only once per timeout, and a worker left behind would keep serving requests on the port.
"""


def post_fork(server, worker):
    from zimao.core.supervision import die_with_parent

    die_with_parent(parent_pid=server.pid)
