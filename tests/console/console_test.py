"""The web console in a real browser: Debian's chromium driven by Playwright against a real
`firn serve`. Every flow a user has (sign in, buckets, uploads, browsing, tags, versions, restores,
share links, sign out) and the security cases (XSS in key names, cross-origin forms, cookie flags,
a second user, wrong secrets, throttling). Each page visited must log no browser console error
(an expected refusal's own status line aside); each gets a screenshot at 1280 and 390 px wide.

Usage: console_test.py S3_ENDPOINT CONSOLE_URL ACCESS SECRET CHROMIUM SHOT_DIR WORK_DIR
"""

import hashlib
import json
import os
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import boto3
from botocore.config import Config
from playwright.sync_api import sync_playwright

endpoint, console, access, secret, chromium, shots, work = sys.argv[1:8]
shots, work = Path(shots), Path(work)
shots.mkdir(parents=True, exist_ok=True)
s3 = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=access, aws_secret_access_key=secret,
                  region_name="us-east-1", config=Config(max_pool_connections=16))

passed = failed = 0


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"PASS {name}", flush=True)
    else:
        failed += 1
        print(f"FAIL {name}: {detail}", flush=True)


def wait_for(what, timeout=30.0, step=0.2):
    end = time.time() + timeout
    while time.time() < end:
        value = what()
        if value:
            return value
        time.sleep(step)
    return what()


class Watch:
    """Browser console errors and dialogs of a page; a refusal's own status line is expected."""

    def __init__(self, page):
        self.errors, self.dialogs = [], []
        page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("dialog", self._dialog)
        self.accept = True

    def _dialog(self, d):
        self.dialogs.append(d.message)
        d.accept() if self.accept else d.dismiss()

    def unexpected(self):
        allowed = re.compile(r"Failed to load resource: the server responded with a status of (401|403|404|409|429)")
        return [e for e in self.errors if not allowed.search(e)]


def shoot(page, name):
    """Light at both widths, and dark (the system's choice) at the wide one. No page may be wider
    than the window."""
    size = page.viewport_size
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(shots / f"{name}-{width}.png"), full_page=True)
        wide = page.evaluate("document.documentElement.scrollWidth")
        check(f"{name} fits {width} px", wide <= width, f"{wide} px wide")
    page.emulate_media(color_scheme="dark")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=str(shots / f"{name}-1280-dark.png"), full_page=True)
    page.emulate_media(color_scheme="light")
    page.set_viewport_size(size)


def sign_in(page, key, secret_key):
    page.goto(f"{console}/signin")
    page.get_by_label("Access key").fill(key)
    page.get_by_label("Secret key").fill(secret_key)
    return page.get_by_role("button", name="Sign in").click()


def posted_signin(r):
    return r.url == f"{console}/signin" and r.request.method == "POST"


def flash(page):
    el = page.locator(".flash").first
    return el.inner_text() if el.count() else ""


def admin(*args):
    env = dict(os.environ, FIRN_ROOT_ACCESS_KEY=access, FIRN_ROOT_SECRET_KEY=secret)
    out = subprocess.run([os.environ["FIRN_BIN"], "admin", "--json", "--endpoint", endpoint.split("://")[1], *args],
                         env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def main():
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
        page = context.new_page()
        watch = Watch(page)

        # ---- signing in ----
        page.goto(f"{console}/")
        check("an unsigned visit lands on the sign-in page", page.url.endswith("/signin"), page.url)
        shoot(page, "signin")
        with page.expect_response(posted_signin) as r:
            sign_in(page, access, "not-the-secret")
        check("a wrong secret is refused (401)", r.value.status == 401, r.value.status)
        check("the refusal does not say which half was wrong",
              "access key or the secret key is not right" in page.locator("#signin-problem").inner_text())
        check("no secret is echoed into the page", "not-the-secret" not in page.content())
        sign_in(page, access, secret)
        page.wait_for_url(f"{console}/buckets")
        check("signing in opens the bucket list", page.locator("h1").inner_text() == "Buckets")
        cookie = next((c for c in context.cookies() if c["name"] == "firn_session"), None)
        check("the session cookie is HttpOnly and SameSite=Strict (not Secure over plain HTTP)",
              cookie and cookie["httpOnly"] and cookie["sameSite"] == "Strict" and not cookie["secure"], cookie)
        check("the session id is long and random", cookie and re.fullmatch(r"[0-9a-f]{64}", cookie["value"]))
        headers = page.request.get(f"{console}/buckets").headers
        csp = headers.get("content-security-policy", "")
        check("pages carry a CSP of their own files only, no framing, nosniff, no caching",
              "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
              and headers.get("x-content-type-options") == "nosniff" and headers.get("cache-control") == "no-store",
              headers)

        # ---- buckets ----
        page.get_by_text("Create bucket").click()
        page.get_by_label("Bucket name").fill("photos")
        page.get_by_label("Keep every version (versioning)").check()
        page.get_by_role("button", name="Create", exact=True).click()
        page.wait_for_url(f"{console}/buckets")
        check("a bucket is created with versioning", "Bucket photos created." in flash(page)
              and s3.get_bucket_versioning(Bucket="photos").get("Status") == "Enabled", flash(page))
        check("the list shows it with its versioning badge",
              page.locator("tr", has_text="photos").locator(".badge", has_text="Versioning enabled").count() == 1)
        page.get_by_text("Create bucket").click()
        page.get_by_label("Bucket name").fill("vault")
        page.get_by_label("Object Lock", exact=False).check()
        page.get_by_role("button", name="Create", exact=True).click()
        page.wait_for_url(f"{console}/buckets")
        check("a bucket is created with Object Lock",
              s3.get_object_lock_configuration(Bucket="vault")["ObjectLockConfiguration"]["ObjectLockEnabled"]
              == "Enabled" and page.locator("tr", has_text="vault").locator(".badge.lock").count() == 1)
        page.get_by_text("Create bucket").click()
        page.get_by_label("Bucket name").fill("Bad_Name")
        page.eval_on_selector("#bucket-name", "e => e.removeAttribute('pattern')")
        page.get_by_role("button", name="Create", exact=True).click()
        page.wait_for_url(f"{console}/buckets")
        check("an invalid name gets S3's reason as a sentence", "not a valid bucket name" in flash(page), flash(page))
        shoot(page, "buckets")

        # ---- uploads: a folder, then a 40 MiB file in parallel parts ----
        page.goto(f"{console}/browse/photos")
        tree = work / "holiday"
        (tree / "day1").mkdir(parents=True)
        (tree / "day1" / "beach.txt").write_bytes(b"sand" * 1000)
        (tree / "day1" / "sea.txt").write_bytes(b"waves" * 2000)
        (tree / "notes.txt").write_bytes(b"a folder upload")
        page.set_input_files("#pick-folder", str(tree))
        wait_for(lambda: page.locator("#upload-list li.done").count() >= 3, 30)
        keys = {o["Key"] for o in s3.list_objects_v2(Bucket="photos").get("Contents", [])}
        check("a folder upload keeps its paths", {"holiday/day1/beach.txt", "holiday/day1/sea.txt",
                                                  "holiday/notes.txt"} <= keys, keys)
        page.wait_for_load_state("load")
        wait_for(lambda: page.locator("#upload-list li").count() == 0, 10)
        big = work / "big.bin"
        data = os.urandom(40 << 20)
        big.write_bytes(data)
        page.set_input_files("#pick-files", str(big))
        bar = page.locator("#upload-list li", has_text="big.bin").locator("progress")
        wait_for(lambda: page.locator("#upload-list li.done", has_text="big.bin").count() == 1, 120)
        seen = [int(v) for v in (bar.get_attribute("data-seen") or "").split()]
        check("the progress bar moved through the upload", any(0 < v < 100 for v in seen) and seen[-1] == 100, seen)
        head = s3.head_object(Bucket="photos", Key="big.bin")
        check("the 40 MiB file went in parallel parts", head["ContentLength"] == 40 << 20
              and head["ETag"].endswith('-3"'), head["ETag"])
        body = s3.get_object(Bucket="photos", Key="big.bin")["Body"].read()
        check("its bytes are the file's", hashlib.sha256(body).digest() == hashlib.sha256(data).digest())
        shoot(page, "upload")

        # ---- a file dropped on the page ----
        page.goto(f"{console}/browse/photos?prefix=dropped%2F")
        page.evaluate("""() => {
            const dt = new DataTransfer();
            dt.items.add(new File(["dropped on the page"], "drop.txt", { type: "text/plain" }));
            document.getElementById("dropzone").dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true }));
        }""")
        wait_for(lambda: page.locator("#upload-list li.done").count() == 1, 20)
        dropped = s3.get_object(Bucket="photos", Key="dropped/drop.txt")["Body"].read()
        check("a dropped file is uploaded into the folder shown", dropped == b"dropped on the page", dropped)

        # ---- cancelling an upload aborts its multipart upload ----
        page.goto(f"{console}/browse/photos")
        hang = re.compile(r"/api/s3/photos/cancelled\.bin\?partNumber=")
        page.route(hang, lambda route: None)  # its parts hang until cancelled
        (work / "cancelled.bin").write_bytes(os.urandom(20 << 20))
        page.set_input_files("#pick-files", str(work / "cancelled.bin"))
        wait_for(lambda: s3.list_multipart_uploads(Bucket="photos").get("Uploads"), 20)
        page.get_by_role("button", name="Cancel upload of cancelled.bin").click()
        wait_for(lambda: "Cancelled" in page.locator("#upload-list li", has_text="cancelled.bin").inner_text(), 20)
        check("cancel aborts the multipart upload",
              wait_for(lambda: not s3.list_multipart_uploads(Bucket="photos").get("Uploads"), 10), "still listed")
        page.unroute(hang)

        # ---- an upload refused by S3 says why, for that file only ----
        s3.create_bucket(Bucket="small")
        admin("bucket", "quota", "small", "100000")
        page.goto(f"{console}/browse/small")
        (work / "fits.txt").write_bytes(b"f" * 1000)
        (work / "toolarge.bin").write_bytes(os.urandom(200_000))
        page.set_input_files("#pick-files", [str(work / "fits.txt"), str(work / "toolarge.bin")])
        wait_for(lambda: page.locator("#upload-list li.done, #upload-list li.failed").count() == 2, 30)
        failed_row = page.locator("#upload-list li.failed")
        check("a quota refusal shows on its file, in words", failed_row.count() == 1
              and "toolarge.bin" in failed_row.inner_text() and "quota would be exceeded" in failed_row.inner_text()
              and page.locator("#upload-list li.done", has_text="fits.txt").count() == 1,
              page.locator("#upload-list").inner_text())
        shoot(page, "upload-refused")

        # ---- browsing: folders, breadcrumbs, pages of a 5,000-key bucket, the filter ----
        page.goto(f"{console}/browse/photos")
        page.get_by_role("link", name="holiday/").click()
        page.get_by_role("link", name="day1/").click()
        crumbs = page.locator("nav.crumbs li").all_inner_texts()
        check("folders open with breadcrumbs", crumbs == ["Buckets", "photos", "holiday", "day1"], crumbs)
        check("a folder lists its objects", page.locator("tr.object").count() == 2)
        page.locator("nav.crumbs").get_by_role("link", name="holiday").click()
        page.get_by_label("New folder name").fill("day2")
        page.get_by_role("button", name="Create folder").click()
        check("a new folder is a zero-byte name/ key",
              s3.head_object(Bucket="photos", Key="holiday/day2/")["ContentLength"] == 0
              and page.get_by_role("link", name="day2/").count() == 1)
        shoot(page, "folder")
        s3.create_bucket(Bucket="many")
        with ThreadPoolExecutor(16) as pool:
            list(pool.map(lambda i: s3.put_object(Bucket="many", Key=f"k{i:05d}", Body=b"x"), range(5000)))
        page.goto(f"{console}/browse/many")
        first = page.locator("tr.object th").all_inner_texts()
        page.get_by_role("link", name="Next page").click()
        second = page.locator("tr.object th").all_inner_texts()
        check("a 5,000-key bucket browses by pages", len(first) == 200 and len(second) == 200
              and first[0].strip() == "k00000" and second[0].strip() == "k00200", (first[:1], second[:1]))
        for _ in range(23):
            page.get_by_role("link", name="Next page").click()
        last = page.locator("tr.object th").all_inner_texts()
        check("the last page ends the bucket", last[-1].strip() == "k04999"
              and page.get_by_role("link", name="Next page").count() == 0, last[-1:])
        page.get_by_label("Filter this folder by name").fill("k0421")
        page.get_by_role("button", name="Filter").click()
        check("the filter narrows by name", len(page.locator("tr.object").all()) == 10)
        shoot(page, "browse-many")

        # ---- an object: properties, tags ----
        s3.put_object(Bucket="photos", Key="docs/report.txt", Body=b"first", ContentType="text/plain",
                      Metadata={"author": "ana"})
        page.goto(f"{console}/browse/photos?prefix=docs%2F")
        page.get_by_role("link", name="report.txt").click()
        props = page.locator("dl.props").first.inner_text()
        check("an object's page shows its properties and metadata",
              "text/plain" in props and "STANDARD" in props and "ana" in page.content(), props)
        page.get_by_label("Tag 1 key").fill("project")
        page.get_by_label("Tag 1 value").fill("apollo")
        page.get_by_role("button", name="Save tags").click()
        tags = s3.get_object_tagging(Bucket="photos", Key="docs/report.txt")["TagSet"]
        check("tags are edited", "Tags saved." in flash(page) and tags == [{"Key": "project", "Value": "apollo"}], tags)
        check("the saved tags show", page.get_by_label("Tag 1 value").input_value() == "apollo")

        # ---- versions: delete one, bring an older one back ----
        s3.put_object(Bucket="photos", Key="docs/report.txt", Body=b"second")
        s3.put_object(Bucket="photos", Key="docs/report.txt", Body=b"third")
        page.reload()
        rows = page.locator("#versions tbody tr")
        check("the versions are listed", rows.count() == 3, rows.count())
        shoot(page, "object")
        oldest = rows.nth(2).locator("a.mono").inner_text()
        rows.nth(2).get_by_role("button", name="Make current").click()
        body = s3.get_object(Bucket="photos", Key="docs/report.txt")["Body"].read()
        check("an older version is brought back as a copy", body == b"first" and rows.count() == 4, body)
        watch.accept = False
        rows.nth(1).get_by_role("button", name=re.compile("^Delete version")).click()
        check("a dismissed confirmation deletes nothing", rows.count() == 4 and watch.dialogs, watch.dialogs)
        watch.accept = True
        second_id = rows.nth(1).locator("a.mono").inner_text()
        rows.nth(1).get_by_role("button", name=re.compile("^Delete version")).click()
        page.wait_for_load_state("load")
        versions = [v["VersionId"] for v in s3.list_object_versions(Bucket="photos", Prefix="docs/report.txt")["Versions"]]
        check("a version is deleted permanently", second_id not in versions and oldest in versions
              and "deleted permanently" in flash(page), (second_id, versions))
        page.get_by_role("button", name="Delete", exact=True).click()
        page.wait_for_load_state("load")
        check("deleting in a versioned bucket leaves a delete marker and its versions",
              "delete marker" in page.content() and page.locator("#versions .badge", has_text="Delete marker").count() == 1)

        # ---- Object Lock: retention and legal hold shown, the hold released from the page ----
        until = "2030-01-01T00:00:00Z"
        vid = s3.put_object(Bucket="vault", Key="ledger.csv", Body=b"a,b", ObjectLockMode="GOVERNANCE",
                            ObjectLockRetainUntilDate=until, ObjectLockLegalHoldStatus="ON")["VersionId"]
        page.goto(f"{console}/object/vault?key=ledger.csv")
        lock = page.locator("#lock-title + dl").inner_text()
        check("retention and legal hold are shown", "GOVERNANCE until 2030-01-01 00:00 UTC" in lock and "ON" in lock, lock)
        page.get_by_role("button", name="Release legal hold").click()
        hold = s3.get_object_legal_hold(Bucket="vault", Key="ledger.csv")["LegalHold"]["Status"]
        check("the legal hold is released", hold == "OFF" and "Legal hold released." in flash(page), hold)
        s3.put_bucket_policy(Bucket="vault", Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
            "Sid": "DenyDeletes", "Effect": "Deny", "Principal": "*", "Action": "s3:DeleteObject*",
            "Resource": "arn:aws:s3:::vault/*"}]}))
        page.goto(f"{console}/object/vault?key=ledger.csv&versionId={vid}")
        page.get_by_role("button", name="Delete this version").click()
        page.wait_for_load_state("load")
        check("a policy's refusal names its statement",
              "statement 'DenyDeletes' of this bucket's policy forbids s3:DeleteObjectVersion" in flash(page), flash(page))
        shoot(page, "locked")

        # ---- the archive tier: restore from the page, watch it become ready, download ----
        cold = os.urandom(300_000)
        s3.put_object(Bucket="photos", Key="cold/archive.tar", Body=cold, StorageClass="GLACIER")
        s3.put_object(Bucket="photos", Key="cold/deep.tar", Body=b"deep", StorageClass="DEEP_ARCHIVE")
        page.goto(f"{console}/object/photos?key=deep.tar".replace("deep.tar", "cold%2Fdeep.tar"))
        tiers = page.locator("#restore-tier option").all_inner_texts()
        check("DEEP_ARCHIVE offers no Expedited restore", not any("Expedited" in t for t in tiers), tiers)
        page.goto(f"{console}/object/photos?key=cold%2Farchive.tar")
        state = page.locator("#archive-state")
        check("an archived object says it is not restored",
              state.get_attribute("data-state") == "archived" and page.locator("#download").is_hidden()
              and "not restored" in state.inner_text(), state.inner_text())
        shoot(page, "archived")
        page.get_by_label("Speed").select_option("Standard")
        page.get_by_role("button", name="Restore").click()
        page.wait_for_load_state("load")
        check("a restore starts", "Restore started" in flash(page) and state.get_attribute("data-state") == "restoring"
              and "ready at about" in state.inner_text(), state.inner_text())
        shoot(page, "restoring")
        ops = context.new_page()
        Watch(ops)
        ops.goto(f"{console}/archive")
        job = ops.locator("#restore-jobs tr", has_text="photos/cold/archive.tar")
        check("the archive page lists the running restore with its tier and time left",
              job.count() == 1 and "Standard" in job.inner_text() and re.search(r"\d+ s|due now", job.inner_text()),
              ops.locator("main").inner_text()[:400])
        shoot(ops, "archive")
        ops.get_by_role("button", name="Compact now").click()
        check("Compact runs from the page", "Compacted" in flash(ops), flash(ops))
        ops.close()
        page.evaluate("window.stillThisPage = true")
        wait_for(lambda: state.get_attribute("data-state") == "restored", 30)
        check("the state turns to restored without a reload",
              state.get_attribute("data-state") == "restored" and page.evaluate("window.stillThisPage === true")
              and "readable until" in state.inner_text(), state.inner_text())
        with page.expect_download() as dl:
            page.locator("#download").click()
        check("the restored object downloads", Path(dl.value.path()).read_bytes() == cold)

        # ---- a share link, opened by someone without a session ----
        page.goto(f"{console}/object/photos?key=big.bin")
        page.get_by_label("Link works for").select_option(label="7 days")
        page.get_by_role("button", name="Make share link").click()
        link = page.get_by_label(re.compile("Anyone with this link")).input_value()
        check("a share link lasts the chosen 7 days", "X-Amz-Expires=604800" in link and link.startswith(endpoint), link)
        context.grant_permissions(["clipboard-read", "clipboard-write"])
        page.get_by_role("button", name="Copy").click()
        check("the link is copied to the clipboard", page.evaluate("navigator.clipboard.readText()") == link)
        shoot(page, "share")
        stranger = browser.new_context()
        got = stranger.request.get(link)
        check("the share link works in a fresh browser", got.status == 200
              and hashlib.sha256(got.body()).digest() == hashlib.sha256(data).digest(), got.status)
        stranger.close()

        # ---- a bucket's settings, each round-tripping with the S3 API ----
        s3.create_bucket(Bucket="conf")
        s3.put_bucket_tagging(Bucket="conf", Tagging={"TagSet": [{"Key": "team", "Value": "ops"}]})
        page.goto(f"{console}/browse/conf")
        page.get_by_role("link", name="Settings").click()
        check("tags set by the API show in the console", page.get_by_label("Bucket tag 1 value").input_value() == "ops")
        page.get_by_label("Bucket tag 2 key").fill("cost")
        page.get_by_label("Bucket tag 2 value").fill("42")
        page.get_by_role("button", name="Save tags").click()
        got = {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket="conf")["TagSet"]}
        check("tags set in the console are read back by the API", got == {"team": "ops", "cost": "42"}, got)
        page.get_by_label("Keep every version").select_option("Enabled")
        page.locator("#versioning-title + form").get_by_role("button", name="Save").click()
        check("versioning set in the console", s3.get_bucket_versioning(Bucket="conf").get("Status") == "Enabled")
        for name in ("Refuse new public ACLs", "Ignore public ACLs"):
            page.get_by_label(name).check()
        page.locator("#bpa-title + form").get_by_role("button", name="Save").click()
        bpa = s3.get_public_access_block(Bucket="conf")["PublicAccessBlockConfiguration"]
        check("Block Public Access set in the console", bpa["BlockPublicAcls"] and bpa["IgnorePublicAcls"]
              and not bpa["BlockPublicPolicy"], bpa)
        page.get_by_label("Who owns uploaded objects").select_option("BucketOwnerEnforced")
        page.locator("#ownership-title + form").get_by_role("button", name="Save").click()
        own = s3.get_bucket_ownership_controls(Bucket="conf")["OwnershipControls"]["Rules"][0]["ObjectOwnership"]
        check("Object Ownership set in the console", own == "BucketOwnerEnforced", own)
        page.get_by_label("Bucket policy (JSON)").fill('{"Version": "2012-10-17", "Statement": [ nonsense ]}')
        page.locator("#policy-title + form").get_by_role("button", name="Save").click()
        problem = page.locator("#problem-policy")
        check("a bad policy shows the parser's message beside the text, which is kept",
              problem.count() == 1 and "MalformedPolicy" in problem.inner_text()
              and "nonsense" in page.get_by_label("Bucket policy (JSON)").input_value(), problem.all_inner_texts())
        shoot(page, "settings-bad-policy")
        public = json.dumps({"Version": "2012-10-17", "Statement": [{"Sid": "Read", "Effect": "Allow", "Principal": "*",
                                                                      "Action": "s3:GetObject", "Resource": "arn:aws:s3:::conf/*"}]})
        page.get_by_label("Bucket policy (JSON)").fill(public)
        page.locator("#policy-title + form").get_by_role("button", name="Save").click()
        check("a policy saved in the console is the API's, and its public status shows",
              json.loads(s3.get_bucket_policy(Bucket="conf")["Policy"])["Statement"][0]["Sid"] == "Read"
              and page.locator("#policy-title .badge.public").count() == 1)
        cors = ("<CORSConfiguration><CORSRule><AllowedOrigin>https://app.example.org</AllowedOrigin>"
                "<AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>")
        page.get_by_label("CORS configuration (XML)").fill(cors)
        page.locator("#cors-title + form").get_by_role("button", name="Save").click()
        rules = s3.get_bucket_cors(Bucket="conf")["CORSRules"]
        check("CORS rules saved in the console", rules[0]["AllowedOrigins"] == ["https://app.example.org"], rules)
        page.get_by_label("Index document").fill("index.html")
        page.get_by_label("Error document").fill("oops.html")
        page.locator("#website-title + form").get_by_role("button", name="Save").click()
        site = s3.get_bucket_website(Bucket="conf")
        check("the website set in the console", site["IndexDocument"]["Suffix"] == "index.html"
              and site["ErrorDocument"]["Key"] == "oops.html"
              and page.locator("#site-link").get_attribute("href").startswith("http://conf.s3-website.localhost:"))
        page.get_by_label("Largest size (500MB, 20GiB, or none)").fill("1GiB")
        page.locator("#quota-title + p + form").get_by_role("button", name="Save").click()
        check("a quota set in the console", "Quota saved." in flash(page)
              and "1.0 GiB" in page.locator("#quota-title + p").inner_text())
        s3.put_object_lock_configuration(Bucket="vault", ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 3}}})
        page.goto(f"{console}/settings/vault")
        check("a default retention set by the API shows", page.get_by_label("Default retention").input_value() == "GOVERNANCE"
              and page.get_by_label("Days").input_value() == "3")
        page.get_by_label("Default retention").select_option("COMPLIANCE")
        page.get_by_label("Days").fill("5")
        page.locator("#lock-title + form").get_by_role("button", name="Save").click()
        rule = s3.get_object_lock_configuration(Bucket="vault")["ObjectLockConfiguration"]["Rule"]["DefaultRetention"]
        check("a default retention set in the console", rule == {"Mode": "COMPLIANCE", "Days": 5}, rule)
        shoot(page, "settings")

        # ---- the operator's overview, with charts from the server's own history ----
        page.goto(f"{console}/buckets")
        page.get_by_role("navigation", name="Sections").get_by_role("link", name="Overview").click()
        page.wait_for_url(f"{console}/overview")
        reads = page.locator("#chart-requests polyline[data-series=reads]")
        summary = page.locator("#chart-requests svg").get_attribute("aria-label")
        top = re.search(r"up to ([0-9.]+) (k?)/s", summary or "")
        check("the requests chart has points from the traffic so far", reads.count() == 1
              and int(reads.get_attribute("data-points")) >= 1 and (reads.get_attribute("points") or "").strip()
              and top and float(top.group(1)) > 0, summary)
        check("every chart is drawn", page.locator("figure.chart svg polyline").count() == 12)
        check("the archive tier's bytes are shown", page.locator("#archive-bytes").inner_text() != "0 B",
              page.locator("#archive-bytes").inner_text())
        check("the lifecycle worker's last run is shown",
              page.locator("#workers tr", has_text="lifecycle").count() >= 1, page.locator("#workers").inner_text())
        check("each bucket's tiers are listed", page.locator("#per-bucket tr", has_text="photos").count() == 1)
        shoot(page, "overview")
        page.get_by_role("link", name="Last 24 hours").click()
        check("the last 24 hours are a click away", page.url.endswith("/overview?range=day")
              and page.locator("figure.chart").count() == 5)
        shoot(page, "overview-day")

        # ---- a key that looks like HTML is text ----
        s3.put_object(Bucket="photos", Key="<img src=x onerror=alert(1)>.txt", Body=b"x")
        before = len(watch.dialogs)
        page.goto(f"{console}/browse/photos")
        check("a key with markup renders as text", page.get_by_text("<img src=x onerror=alert(1)>.txt").count() == 1
              and page.locator("img").count() == 0 and len(watch.dialogs) == before)
        page.get_by_role("link", name="<img src=x onerror=alert(1)>.txt").click()
        check("and on its own page", page.locator("h1").inner_text() == "<img src=x onerror=alert(1)>.txt"
              and page.locator("img").count() == 0 and len(watch.dialogs) == before)

        # ---- a form posted from another origin ----
        evil = ('<form id="f" method="post" action="' + console + '/buckets">'
                '<input name="name" value="pwned"><input name="csrf" value="guess"></form>'
                '<script>document.getElementById("f").submit()</script>')
        s3.create_bucket(Bucket="evil")
        s3.put_object(Bucket="evil", Key="page.html", Body=evil.encode(), ContentType="text/html", ACL="public-read")
        attacker = context.new_page()
        Watch(attacker)
        with attacker.expect_response(f"{console}/buckets") as r:
            attacker.goto(f"{endpoint}/evil/page.html")
        check("a form posted from another origin is refused", r.value.status == 403
              and "pwned" not in [b["Name"] for b in s3.list_buckets()["Buckets"]], r.value.status)
        attacker.close()
        forged = page.request.post(f"{console}/buckets", form={"name": "pwned2", "csrf": "guess"},
                                   headers={"Origin": console})
        check("a same-origin post without the session's token is refused", forged.status == 403
              and "pwned2" not in [b["Name"] for b in s3.list_buckets()["Buckets"]], forged.status)

        # ---- a bucket that is not empty is not deleted; an empty one is ----
        page.goto(f"{console}/buckets")
        page.locator("tr", has_text="photos").get_by_role("button", name="Delete bucket photos").click()
        page.wait_for_load_state("load")
        check("deleting a bucket with objects is refused with S3's reason", "not empty" in flash(page), flash(page))
        page.locator("tr", has_text="evil").get_by_role("button", name="Delete bucket evil").click()
        page.wait_for_load_state("load")
        s3.delete_object(Bucket="evil", Key="page.html")
        page.locator("tr", has_text="evil").get_by_role("button", name="Delete bucket evil").click()
        page.wait_for_load_state("load")
        check("an empty bucket is deleted", "Bucket evil deleted." in flash(page)
              and "evil" not in [b["Name"] for b in s3.list_buckets()["Buckets"]], flash(page))

        # ---- a second user sees only their own ----
        alice = admin("user", "add", "alice")
        other = browser.new_context(viewport={"width": 390, "height": 800})
        apage = other.new_page()
        awatch = Watch(apage)
        sign_in(apage, alice["access_key"], alice["secret_key"])
        apage.wait_for_url(f"{console}/buckets")
        check("a second user does not see the first user's buckets", "photos" not in apage.content())
        with apage.expect_response(re.compile(r"/browse/photos$")) as r:
            apage.goto(f"{console}/browse/photos")
        check("and gets a clear refusal on a link to one", r.value.status == 403
              and "Access denied" in flash(apage), flash(apage))
        shoot(apage, "refused")
        with apage.expect_response(re.compile(r"/api/s3/photos/big.bin")) as r:
            apage.goto(f"{console}/api/s3/photos/big.bin")
        check("nor can they download from it", r.value.status == 403)
        check("a user who is not root has no overview link", apage.get_by_role("link", name="Overview").count() == 0)
        with apage.expect_response(re.compile(r"/overview$")) as r:
            apage.goto(f"{console}/overview")
        check("and is refused the server-wide overview", r.value.status == 403 and "only root" in flash(apage))
        with apage.expect_response(re.compile(r"/users$")) as r:
            apage.goto(f"{console}/users")
        check("and the users page", r.value.status == 403 and "root's to manage" in flash(apage))
        apage.goto(f"{console}/keys")
        apage.get_by_role("button", name="Create a new key").click()
        new_key, new_secret = apage.locator("#new-access-key").input_value(), apage.locator("#new-secret-key").input_value()
        shoot(apage, "own-keys")
        apage.goto(f"{console}/keys")
        apage.get_by_role("button", name=f"Revoke key {alice['access_key']}").click()
        apage.wait_for_url(f"{console}/signin")
        check("revoking the key one signed in with signs one out", apage.url.endswith("/signin"))
        sign_in(apage, new_key, new_secret)
        apage.wait_for_url(f"{console}/buckets")
        check("a user rotates their own key and signs in with the new one", apage.url.endswith("/buckets"))
        alice = dict(alice, access_key=new_key, secret_key=new_secret)
        check("the second user's pages logged no browser error", not awatch.unexpected(), awatch.unexpected())

        # ---- repeated failures slow down ----
        stranger = browser.new_context()
        spage = stranger.new_page()
        statuses = []
        for _ in range(4):
            with spage.expect_response(posted_signin) as r:
                sign_in(spage, alice["access_key"], "wrong")
            statuses.append(r.value.status)
        check("repeated failed sign-ins wait", statuses == [401, 401, 401, 429]
              and "Too many failed sign-ins" in spage.locator("#signin-problem").inner_text(), statuses)
        with spage.expect_response(posted_signin) as r:
            sign_in(spage, alice["access_key"], alice["secret_key"])
        check("even the right secret waits its turn", r.value.status == 429, r.value.status)
        shoot(spage, "throttled")
        stranger.close()
        other.close()

        # ---- users and keys, for root ----
        page.goto(f"{console}/users")
        page.get_by_label("New user's name").fill("bob")
        page.get_by_role("button", name="Add user").click()
        bob_key = page.locator("#new-access-key").input_value()
        bob_secret = page.locator("#new-secret-key").input_value()
        check("a new user's secret is shown once", len(bob_secret) >= 20 and page.locator("#users tr", has_text="bob").count() == 1)
        check("users are listed with their account id and ARN",
              re.search(r"arn:aws:iam::\d{12}:user/bob", page.locator("#users").inner_text()) is not None)
        shoot(page, "users")
        bob = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=bob_key, aws_secret_access_key=bob_secret,
                           region_name="us-east-1")
        bob.create_bucket(Bucket="bobs")
        page.goto(f"{console}/users")
        page.get_by_role("button", name="Create a key for bob").click()
        bob_key2 = page.locator("#new-access-key").input_value()
        bob_secret2 = page.locator("#new-secret-key").input_value()
        page.goto(f"{console}/users")
        page.get_by_role("button", name=f"Revoke key {bob_key}").click()
        page.wait_for_load_state("load")
        try:
            bob.list_buckets()
            revoked = False
        except Exception as e:  # noqa: BLE001 - the S3 error is what is checked
            revoked = "InvalidAccessKeyId" in str(e)
        bob2 = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=bob_key2,
                            aws_secret_access_key=bob_secret2, region_name="us-east-1")
        check("a revoked key is refused by the S3 API, the new one works",
              revoked and [b["Name"] for b in bob2.list_buckets()["Buckets"]] == ["bobs"])
        page.get_by_role("button", name="Remove user bob").click()
        page.wait_for_load_state("load")
        check("a user who owns buckets is not removed, and the page says why",
              "bobs" in flash(page) and page.locator("#users tr", has_text="bob").count() == 1, flash(page))

        # ---- sign out ----
        page.goto(f"{console}/buckets")
        page.get_by_role("button", name="Sign out").click()
        page.wait_for_url(f"{console}/signin")
        page.goto(f"{console}/buckets")
        check("signing out ends the session", page.url.endswith("/signin"), page.url)
        check("every page logged no browser console error", not watch.unexpected(), watch.unexpected())
        browser.close()
    print(f"console: {passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


main()
