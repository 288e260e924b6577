"""The simulator as another client sees it: the official Python `openai` SDK against `runstate sim`.

Run by scripts/python-sdk-check.sh inside a throwaway venv. Starts its own webhook receiver, then `runstate sim`
(at x20, 60 rpm, delivering signed webhooks to it), and checks what the Python SDK found once: every answer parses,
the null keys the real API sends are there, `output_text` is the SDK's and not the JSON's, webhooks are OpenAI's event
types only and verify, and a 429's wait is in the client's (real) time. Prints one line per check; exits 1 on a
failure.
"""

import base64
import http.server
import json
import os
import re
import secrets
import subprocess
import sys
import threading
import time

import openai

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SPEED = 20
failures = []
passed = 0


def check(name, ok, detail=""):
    global passed
    if ok:
        passed += 1
        print(f"  ok   {name}")
    else:
        failures.append(name)
        print(f"  FAIL {name} {detail}")


deliveries = []


class Receiver(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", "0"))).decode()
        deliveries.append((body, {k.lower(): v for k, v in self.headers.items()}))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


receiver = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
threading.Thread(target=receiver.serve_forever, daemon=True).start()
secret = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()

sim = subprocess.Popen(
    [
        "node", "--import", "tsx", os.path.join(ROOT, "src/cli/main.ts"), "sim", "--port", "0",
        "--speed", str(SPEED), "--rpm", "60",
        "--webhook-url", f"http://127.0.0.1:{receiver.server_address[1]}/", "--webhook-secret", secret,
    ],
    cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**os.environ, "NO_COLOR": "1"},
)
base_url = None
for line in sim.stdout:
    m = re.search(r"listening on (http://\S+)", line)
    if m:
        base_url = m.group(1)
        break
if base_url is None:
    print("python check: runstate sim did not start")
    sys.exit(1)

try:
    print(f"python check: openai {openai.__version__} against {base_url}")
    client = openai.OpenAI(base_url=base_url, api_key="sim", max_retries=5)

    # Responses: the raw JSON carries every key the API sends, null before the end, and no output_text.
    # Scripted to run about a second of real time, so it is still running when read.
    slow = json.dumps({"phases": {"queued": 2000, "in_progress": 20000}})
    created = client.responses.create(model="gpt-4o-mini", input="hi", background=True,
                                      metadata={"sim_scenario": slow})
    raw = client.responses.with_raw_response.retrieve(created.id).http_response.json()
    keys = ["service_tier", "store", "reasoning", "max_output_tokens", "previous_response_id", "user",
            "top_logprobs", "prompt_cache_key", "safety_identifier", "usage"]
    check("response: null keys present while running", all(k in raw for k in keys),
          [k for k in keys if k not in raw])
    check("response: usage null before the end", raw["status"] != "completed" and raw.get("usage", "x") is None,
          raw["status"])
    check("response: text.verbosity present", "verbosity" in (raw.get("text") or {}))
    check("response: no output_text in the raw JSON", "output_text" not in raw)
    response = created
    for _ in range(400):
        response = client.responses.retrieve(created.id)
        if response.status in ("completed", "failed", "cancelled", "incomplete"):
            break
        time.sleep(0.05)
    check("response: completes, and the SDK computes output_text", response.status == "completed"
          and response.output_text == "This is a simulated reply.", f"{response.status} {response.output_text!r}")

    # Batches: every time key present (null when not reached), results readable.
    lines = "".join(json.dumps({"custom_id": c, "method": "POST", "url": "/v1/responses",
                                "body": {"model": "gpt-4o-mini", "input": c}}) + "\n" for c in "abc")
    file = client.files.create(file=("in.jsonl", lines.encode()), purpose="batch")
    batch = client.batches.create(input_file_id=file.id, endpoint="/v1/responses", completion_window="24h")
    raw = client.batches.with_raw_response.retrieve(batch.id).http_response.json()
    keys = ["failed_at", "cancelled_at", "expired_at", "errors", "usage", "completed_at", "output_file_id"]
    check("batch: null keys present", all(k in raw for k in keys), [k for k in keys if k not in raw])
    for _ in range(400):
        batch = client.batches.retrieve(batch.id)
        if batch.status in ("completed", "failed", "expired", "cancelled"):
            break
        time.sleep(0.05)
    check("batch: completes", batch.status == "completed", batch.status)
    if batch.output_file_id:
        out = client.files.content(batch.output_file_id).text.strip().split("\n")
        check("batch: three result lines", len(out) == 3, len(out))

    # A 429's wait, in real time: at x20 and 60 rpm a request is back after 50 ms, not a simulated second.
    http = openai.OpenAI(base_url=base_url, api_key="sim", max_retries=0)
    limited = None
    for _ in range(100):
        try:
            http.responses.retrieve(created.id)
        except openai.RateLimitError as e:
            limited = e.response.headers
            break
    check("429: seen under 60 rpm", limited is not None)
    if limited is not None:
        wait_ms = int(limited["retry-after-ms"])
        check("429: retry-after-ms in the client's time", 0 < wait_ms <= 1000 / SPEED, wait_ms)
        time.sleep(wait_ms / 1000 + 0.01)
        try:
            http.responses.retrieve(created.id)
            check("429: a retry after that wait is served", True)
        except openai.RateLimitError:
            check("429: a retry after that wait is served", False)

    # Webhooks: OpenAI's event types only (no thread.run.*, which the SDK misreads), each one verified.
    time.sleep(0.5)
    types = []
    verified = 0
    for body, headers in list(deliveries):
        event = client.webhooks.unwrap(body, headers, secret=secret)
        verified += 1
        types.append(event.type)
    check("webhooks: delivered and verified", verified > 0 and verified == len(deliveries), verified)
    check("webhooks: no thread.run.* events", not any(t.startswith("thread.run.") for t in types), types)
    check("webhooks: response.completed and batch.completed parsed", {"response.completed", "batch.completed"}
          <= set(types), types)
finally:
    sim.terminate()
    sim.wait(timeout=10)
    receiver.shutdown()

print(f"python check: {passed} passed, {len(failures)} failed")
sys.exit(1 if failures else 0)
