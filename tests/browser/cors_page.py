"""The browser test: a page served by Firn's website endpoint calls Firn's API from another origin
in headless Chromium, driven over the Chrome DevTools Protocol (websocket-client).

Run 1, with a CORS rule for the page's origin: the page fetches a JSON object and renders it, uploads
with a presigned PUT and reads the ETag, uploads with a POST form, and shows the S3 error of a
request S3 refuses (readable because errors carry CORS headers too); a DELETE the rule does not
allow is blocked. Run 2, with the rule removed: the browser blocks every call. The test asserts on
the page's DOM and saves a screenshot of each run.

Usage: cors_page.py ENDPOINT ACCESS_KEY SECRET_KEY CHROMIUM OUT_DIR
"""

import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

import boto3
import websocket
from botocore.config import Config

endpoint, access_key, secret_key, chromium, out_dir = sys.argv[1:6]
port = endpoint.rsplit(":", 1)[1]
site_origin = f"http://site.s3-website.localhost:{port}"
# SigV4 presigned URLs: they do not sign the Content-Type a browser adds to a PUT (SigV2 URLs do).
s3 = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=access_key,
                  aws_secret_access_key=secret_key, region_name="us-east-1",
                  config=Config(signature_version="s3v4"))

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>Firn from the browser</title>
<style>body{font-family:sans-serif;margin:2em} td{padding:.3em 1em;border-bottom:1px solid #ccc}</style></head>
<body><h1>Firn, called from another origin</h1>
<table>
<tr><td>1. GET a JSON object</td><td id="json">...</td></tr>
<tr><td>2. presigned PUT, then read its ETag</td><td id="put">...</td></tr>
<tr><td>3. POST form upload</td><td id="post">...</td></tr>
<tr><td>4. a request S3 refuses: its error</td><td id="refused">...</td></tr>
<tr><td>5. DELETE, which the CORS rule does not allow</td><td id="notallowed">...</td></tr>
</table>
<p id="status">running</p>
<script>
const show = (id, text) => { document.getElementById(id).textContent = text; };
const attempt = async (id, call) => {
  try { show(id, await call()); } catch (e) { show(id, "blocked: " + e.name + ": " + e.message); }
};
async function run() {
  const cfg = await (await fetch("config.json")).json();
  await attempt("json", async () => {
    const data = await (await fetch(cfg.jsonUrl)).json();
    return "greeting: " + data.greeting;
  });
  await attempt("put", async () => {
    const r = await fetch(cfg.putUrl, { method: "PUT", body: "uploaded from the browser" });
    if (!r.ok) return r.status + " " + ((await r.text()).match(/<Code>(.*)<\\/Code>/) || [])[1];
    return r.status + " ETag " + r.headers.get("ETag");
  });
  await attempt("post", async () => {
    const form = new FormData();
    for (const [k, v] of Object.entries(cfg.post.fields)) form.append(k, v);
    form.append("file", new Blob(["posted from the browser"]), "form.txt");
    const r = await fetch(cfg.post.url, { method: "POST", body: form });
    return "status " + r.status;
  });
  await attempt("refused", async () => {
    const r = await fetch(cfg.refusedUrl);
    const code = ((await r.text()).match(/<Code>(.*)<\\/Code>/) || [])[1];
    return r.status + " " + code;
  });
  await attempt("notallowed", async () => {
    const r = await fetch(cfg.deleteUrl, { method: "DELETE" });
    return "status " + r.status;
  });
  show("status", "done");
}
run();
</script></body></html>
"""

passed = failed = 0


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"PASS {name}")
    else:
        failed += 1
        print(f"FAIL {name}: {detail}")


def set_up():
    s3.create_bucket(Bucket="site")
    s3.put_bucket_website(Bucket="site", WebsiteConfiguration={"IndexDocument": {"Suffix": "index.html"}})
    s3.put_bucket_policy(Bucket="site", Policy=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                       "Resource": "arn:aws:s3:::site/*"}]}))
    s3.put_object(Bucket="site", Key="index.html", Body=PAGE.encode(), ContentType="text/html")
    s3.create_bucket(Bucket="data")
    s3.put_object(Bucket="data", Key="hello.json", Body=b'{"greeting": "hello from Firn"}',
                  ContentType="application/json", ACL="public-read")
    s3.put_object(Bucket="data", Key="secret.json", Body=b"{}")
    s3.put_object(Bucket="data", Key="keep.txt", Body=b"keep", ACL="public-read-write")
    post = s3.generate_presigned_post("data", "form.txt", ExpiresIn=600)
    config = {
        "jsonUrl": f"{endpoint}/data/hello.json",
        "putUrl": s3.generate_presigned_url("put_object", Params={"Bucket": "data", "Key": "upload.txt"},
                                            ExpiresIn=600),
        "post": post,
        "refusedUrl": f"{endpoint}/data/secret.json",
        "deleteUrl": s3.generate_presigned_url("delete_object", Params={"Bucket": "data", "Key": "keep.txt"},
                                               ExpiresIn=600),
    }
    s3.put_object(Bucket="site", Key="config.json", Body=json.dumps(config).encode(),
                  ContentType="application/json")


def allow_the_page():
    s3.put_bucket_cors(Bucket="data", CORSConfiguration={"CORSRules": [{
        "AllowedOrigins": [site_origin], "AllowedMethods": ["GET", "PUT", "POST"], "AllowedHeaders": ["*"],
        "MaxAgeSeconds": 0}]})


class Browser:
    """Headless Chromium with one page, spoken to over the DevTools Protocol."""

    def __init__(self):
        self.profile = tempfile.mkdtemp(prefix="firn-chromium-")
        self.proc = subprocess.Popen(
            [chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-dev-shm-usage", "--remote-debugging-port=0", "--remote-allow-origins=*",
             f"--user-data-dir={self.profile}", "--window-size=1000,600", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = os.path.join(self.profile, "DevToolsActivePort")
        for _ in range(300):
            if os.path.exists(port_file) and open(port_file).read().strip():
                break
            time.sleep(0.1)
        devtools_port = open(port_file).read().split()[0]
        targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{devtools_port}/json/list"))
        page = next(t for t in targets if t["type"] == "page")
        self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=30, suppress_origin=True)
        self.next_id = 0
        self.call("Page.enable")
        self.call("Network.enable")
        # No cache between the runs: the second run must ask again.
        self.call("Network.setCacheDisabled", cacheDisabled=True)

    def call(self, method, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == self.next_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})

    def text(self, element_id):
        r = self.call("Runtime.evaluate", expression=f"document.getElementById('{element_id}').textContent",
                      returnByValue=True)
        return r.get("result", {}).get("value")

    def visit(self, url, screenshot):
        self.call("Page.navigate", url=url)
        deadline = time.time() + 30
        while time.time() < deadline and self.text("status") != "done":
            time.sleep(0.2)
        shot = self.call("Page.captureScreenshot", format="png")
        with open(screenshot, "wb") as f:
            f.write(base64.b64decode(shot["data"]))
        print(f"screenshot: {screenshot}")
        return {i: self.text(i) for i in ("status", "json", "put", "post", "refused", "notallowed")}

    def close(self):
        self.ws.close()
        self.proc.terminate()
        self.proc.wait(timeout=10)
        shutil.rmtree(self.profile, ignore_errors=True)


set_up()
allow_the_page()
os.makedirs(out_dir, exist_ok=True)
browser = Browser()
try:
    page = browser.visit(f"{site_origin}/", os.path.join(out_dir, "cors-allowed.png"))
    print(f"with the rule: {page}")
    check("the page ran to its end", page["status"] == "done", page)
    check("1. cross-origin GET of a JSON object, rendered", page["json"] == "greeting: hello from Firn", page["json"])
    etag = s3.head_object(Bucket="data", Key="upload.txt")["ETag"] if page["put"].startswith("200") else None
    check("2. presigned PUT from the page, its ETag readable", page["put"] == f"200 ETag {etag}", page["put"])
    check("3. POST form upload", page["post"] == "status 204"
          and s3.get_object(Bucket="data", Key="form.txt")["Body"].read() == b"posted from the browser", page["post"])
    check("4. the S3 error of a refused request, readable", page["refused"] == "403 AccessDenied", page["refused"])
    check("5. a method the rule does not allow is blocked", page["notallowed"].startswith("blocked"),
          page["notallowed"])
    check("   ... and did not happen", s3.get_object(Bucket="data", Key="keep.txt")["Body"].read() == b"keep")

    s3.delete_bucket_cors(Bucket="data")
    s3.delete_object(Bucket="data", Key="upload.txt")
    page = browser.visit(f"{site_origin}/", os.path.join(out_dir, "cors-removed.png"))
    print(f"without the rule: {page}")
    for step in ("json", "put", "post", "refused", "notallowed"):
        check(f"without the rule, {step} is blocked by the browser", (page[step] or "").startswith("blocked"),
              page[step])
    uploaded = s3.list_objects_v2(Bucket="data", Prefix="upload.txt").get("KeyCount", 0)
    check("   ... and the blocked PUT never reached Firn (its preflight was refused)", uploaded == 0)
finally:
    browser.close()

print(f"browser: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
