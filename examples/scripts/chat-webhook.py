#!/usr/bin/env python3
"""A stand-in for a chat's incoming webhook: prints each POSTed body and answers 200.

    python3 examples/scripts/chat-webhook.py 127.0.0.1 9000
"""
import http.server
import sys


class Webhook(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        print(self.rfile.read(length).decode(), flush=True)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


host, port = sys.argv[1], int(sys.argv[2])
http.server.HTTPServer((host, port), Webhook).serve_forever()
