"""moto's server, with its backends called one request at a time.

moto_server answers on a threaded werkzeug server, and moto's in-memory backends are not safe for
concurrent use: under the parallel test files, listing while another request creates a secret fails
inside moto ("dictionary changed size during iteration") and is answered as an HTML HTTP 500. Here the
same moto application runs behind one lock: connections are still served by threads (HTTP/1.1
keep-alive works), but only one request at a time reaches moto's backends.

Usage: python moto-serial.py HOST PORT
"""
import os
import sys
import threading

from werkzeug.serving import run_simple
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app


def main() -> None:
    host, port = sys.argv[1], int(sys.argv[2])
    os.environ.setdefault("MOTO_PORT", str(port))
    app = DomainDispatcherApplication(create_backend_app)
    lock = threading.Lock()

    def serialized(environ, start_response):
        with lock:
            # The body is produced while the lock is held: moto builds it from its backends.
            return list(app(environ, start_response))

    run_simple(host, port, serialized, threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
