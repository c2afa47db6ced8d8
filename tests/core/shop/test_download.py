"""Downloading photos from a real HTTP server on 127.0.0.1, its misbehaviour included."""
from __future__ import annotations

import io
import shutil
import socket
import ssl
import subprocess
import threading
import time
from pathlib import Path

import pytest
from PIL import Image

from core.bench.photo_server import PhotoHandler, PhotoServer
from core.common import Cancelled, CancelToken, InputError, OutputError, Progress, faults
from core.shop.download import Downloader, DownloadSettings, PhotoJob

FAST = DownloadSettings(workers=4, max_bytes=200_000, read_timeout=0.5, photo_timeout=3, retries=2, backoff=0.01)


def jpeg(colour=(200, 30, 30), size=(64, 80)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "JPEG")
    return out.getvalue()


def png(colour=(30, 30, 200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 40), colour).save(out, "PNG")
    return out.getvalue()


class Misbehaving(PhotoHandler):
    """The photo server, with addresses that go wrong the ways real ones do."""

    def do_GET(self) -> None:  # noqa: N802
        path = self.path.split("?")[0]
        self.server.requests[path] += 1
        count = self.server.requests[path]
        if path == "/error":
            self.send_body(500, b"oops", "text/plain")
        elif path == "/flaky":  # fails twice, then answers
            if count <= 2:
                self.send_body(503, b"busy", "text/plain")
            else:
                self.send_body(200, jpeg((10, 200, 10)), "image/jpeg")
        elif path == "/slow":
            time.sleep(2)
            self.send_body(200, jpeg(), "image/jpeg")
        elif path == "/trickle":  # each byte in time, the whole never
            self.send_response(200)
            self.send_header("Content-Length", "100000")
            self.end_headers()
            try:
                for _ in range(100):
                    self.wfile.write(b"\xff" * 10)
                    self.wfile.flush()
                    time.sleep(0.1)
            except OSError:
                pass
        elif path == "/redirect":
            self.send_body(302, b"", "text/plain", Location="/photos/a.jpg")
        elif path == "/redirect-ftp":
            self.send_body(302, b"", "text/plain", Location="ftp://127.0.0.1/a.jpg")
        elif path == "/loop":
            self.send_body(302, b"", "text/plain", Location="/loop")
        elif path == "/truncated":
            body = jpeg()
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: len(body) // 3])
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
        elif path == "/oversized":
            self.send_body(200, b"\xff\xd8" + b"\0" * 300_000, "image/jpeg")
        elif path == "/oversized-unsaid":  # no Content-Length: the cap must hold while streaming
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.send_header("Connection", "close")
            self.end_headers()
            try:
                for _ in range(40):
                    self.wfile.write(b"\0" * 10_000)
            except OSError:
                pass
            self.close_connection = True
        elif path == "/page":
            self.send_body(200, b"<html><body>Sorry</body></html>", "text/html")
        else:
            self.serve_file(path)


@pytest.fixture
def server(tmp_path):
    root = tmp_path / "cdn"
    (root / "photos").mkdir(parents=True)
    (root / "photos" / "a.jpg").write_bytes(jpeg())
    (root / "photos" / "b.png").write_bytes(png())
    with PhotoServer(root, Misbehaving) as srv:
        yield srv


def downloader(tmp_path, settings=FAST, **kwargs) -> Downloader:
    catalog = tmp_path / "catalog"
    catalog.mkdir(exist_ok=True)
    return Downloader(catalog, catalog / ".lookalike" / "downloads.sqlite", settings, **kwargs)


def test_good_photos_land_under_names_made_from_the_product_with_the_suffix_of_their_format(tmp_path, server):
    d = downloader(tmp_path)
    jobs = [PhotoJob("tee/tee-1", f"{server.url}/photos/a.jpg"), PhotoJob("tee/tee-2", f"{server.url}/photos/b.png?v=3")]
    seen: list[Progress] = []
    report = d.run(jobs, seen.append)
    assert (report.fetched, report.kept, report.failed) == (2, 0, [])
    assert report.files == {"tee/tee-1": "tee/tee-1.jpg", "tee/tee-2": "tee/tee-2.png"}
    assert (d.catalog / "tee/tee-1.jpg").read_bytes() == (server.root / "photos/a.jpg").read_bytes()
    assert Image.open(d.catalog / "tee/tee-2.png").format == "PNG"
    assert [p.done for p in seen] == [1, 2] and all(p.total == 2 for p in seen)
    assert not (d.catalog / ".lookalike-downloads").exists()


@pytest.mark.parametrize(
    "path, reason",
    [
        ("/photos/none.jpg", "the server answered 404"),
        ("/error", "the server answered 500"),
        ("/slow", "did not answer in time"),
        ("/trickle", "took longer than"),
        ("/redirect-ftp", "not http or https"),
        ("/loop", "redirects"),
        ("/truncated", "cut short"),
        ("/oversized", "over the"),
        ("/oversized-unsaid", "over the"),
        ("/page", "not an image"),
    ],
)
def test_a_photo_that_goes_wrong_is_reported_with_why_and_skipped_and_the_others_still_land(tmp_path, server, path, reason):
    d = downloader(tmp_path)
    jobs = [PhotoJob("bad/bad-1", server.url + path), PhotoJob("good/good-1", f"{server.url}/photos/a.jpg")]
    report = d.run(jobs)
    assert report.fetched == 1 and report.files == {"good/good-1": "good/good-1.jpg"}
    assert len(report.failed) == 1 and report.failed[0].startswith(f"bad/bad-1: {server.url}{path}: ")
    assert reason in report.failed[0]
    assert sorted(p.relative_to(d.catalog).as_posix() for p in d.catalog.rglob("*") if p.is_file() and ".lookalike" not in p.parts) == [
        "good/good-1.jpg"
    ]


def test_server_errors_are_retried_with_back_off_and_a_redirect_is_followed(tmp_path, server):
    d = downloader(tmp_path)
    report = d.run([PhotoJob("x/x-1", f"{server.url}/flaky"), PhotoJob("y/y-1", f"{server.url}/redirect")])
    assert report.failed == [] and report.fetched == 2
    assert server.requests["/flaky"] == 3
    assert (d.catalog / "y/y-1.jpg").read_bytes() == (server.root / "photos/a.jpg").read_bytes()


def test_an_error_that_stays_is_tried_the_set_number_of_times(tmp_path, server):
    downloader(tmp_path).run([PhotoJob("x/x-1", f"{server.url}/error")])
    assert server.requests["/error"] == 1 + FAST.retries


def test_only_http_and_https_addresses_are_fetched(tmp_path, server):
    secret = tmp_path / "secret.jpg"
    secret.write_bytes(jpeg())
    report = downloader(tmp_path).run(
        [PhotoJob("a/a-1", f"file://{secret}"), PhotoJob("b/b-1", "ftp://127.0.0.1/a.jpg"), PhotoJob("c/c-1", "javascript:alert(1)")]
    )
    assert report.fetched == 0 and len(report.failed) == 3
    assert all("not an http or https address" in line or "no media base address" in line for line in report.failed)


def test_a_server_that_refuses_connections_is_reported(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    report = downloader(tmp_path).run([PhotoJob("a/a-1", f"http://127.0.0.1:{port}/a.jpg")])
    assert report.failed and "refused" in report.failed[0]


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl to make a certificate")
def test_tls_certificates_are_verified(tmp_path):
    """A TLS server with a certificate no authority signed is refused, not trusted."""
    cert, key = _self_signed(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    root = tmp_path / "cdn"
    root.mkdir()
    (root / "a.jpg").write_bytes(jpeg())
    with PhotoServer(root) as srv:
        srv.socket = context.wrap_socket(srv.socket, server_side=True)
        report = downloader(tmp_path).run([PhotoJob("a/a-1", f"https://127.0.0.1:{srv.server_address[1]}/a.jpg")])
    assert report.fetched == 0 and "TLS certificate" in report.failed[0]


def test_a_rerun_asks_instead_of_fetching_and_fetches_what_changed(tmp_path, server):
    d = downloader(tmp_path)
    jobs = [PhotoJob("a/a-1", f"{server.url}/photos/a.jpg"), PhotoJob("b/b-1", f"{server.url}/photos/b.png")]
    d.run(jobs)
    again = d.run(jobs)
    assert (again.fetched, again.kept, again.failed) == (0, 2, [])
    assert server.bodies == {"/photos/a.jpg": 1, "/photos/b.png": 1}
    # the shop replaced one photo (now a PNG), and another photo of ours was deleted meanwhile
    (server.root / "photos/a.jpg").write_bytes(png((1, 2, 3)))
    (d.catalog / "b/b-1.png").unlink()
    third = d.run(jobs)
    assert (third.fetched, third.kept) == (2, 0)
    assert not (d.catalog / "a/a-1.jpg").exists() and Image.open(d.catalog / "a/a-1.png").format == "PNG"
    assert server.bodies == {"/photos/a.jpg": 2, "/photos/b.png": 2}


def test_a_photo_whose_address_changed_in_the_export_is_fetched_from_the_new_one(tmp_path, server):
    d = downloader(tmp_path)
    d.run([PhotoJob("a/a-1", f"{server.url}/photos/a.jpg")])
    report = d.run([PhotoJob("a/a-1", f"{server.url}/photos/b.png")])
    assert report.fetched == 1 and report.files == {"a/a-1": "a/a-1.png"}
    assert not (d.catalog / "a/a-1.jpg").exists()


def test_a_cancel_stops_the_run_soon_and_what_landed_is_kept_for_the_rerun(tmp_path, server):
    for i in range(60):
        (server.root / "photos" / f"p{i}.jpg").write_bytes(jpeg((i * 4, 0, 0)))
    jobs = [PhotoJob(f"p/p-{i}", f"{server.url}/photos/p{i}.jpg") for i in range(60)]
    d = downloader(tmp_path)
    cancel = CancelToken()

    def stop_after_ten(p: Progress) -> None:
        if p.done == 10:
            cancel.cancel()

    with pytest.raises(Cancelled):
        d.run(jobs, stop_after_ten, cancel)
    landed = {p.stem for p in (d.catalog / "p").glob("*.jpg")}
    assert 10 <= len(landed) < 60
    assert not (d.catalog / ".lookalike-downloads").exists()
    fetched_before = sum(server.bodies.values())
    report = d.run(jobs)
    assert report.failed == [] and report.kept >= 10 and report.fetched + report.kept == 60
    assert sum(server.bodies.values()) - fetched_before == 60 - report.kept  # nothing landed was fetched again


def test_a_local_media_folder_is_copied_from_and_never_left(tmp_path):
    media = tmp_path / "media" / "catalog" / "product"
    (media / "m" / "b").mkdir(parents=True)
    (media / "m" / "b" / "mb01.jpg").write_bytes(jpeg())
    (tmp_path / "outside.jpg").write_bytes(jpeg())
    d = downloader(tmp_path, media_dir=media)
    jobs = [PhotoJob("mb01/mb01-1", "/m/b/mb01.jpg"), PhotoJob("x/x-1", "../../../outside.jpg"), PhotoJob("y/y-1", "/n/o/none.jpg")]
    report = d.run(jobs)
    assert report.fetched == 1 and (d.catalog / "mb01/mb01-1.jpg").is_file()
    assert ["outside the media folder" in report.failed[0], "not in the media folder" in report.failed[1]] == [True, True]
    assert d.run(jobs[:1]).kept == 1


def test_relative_paths_without_a_media_folder_are_reported(tmp_path):
    report = downloader(tmp_path).run([PhotoJob("a/a-1", "/m/b/mb01.jpg")])
    assert "no media base address or media folder" in report.failed[0]


def test_two_photos_with_one_name_are_refused(tmp_path):
    with pytest.raises(InputError):
        downloader(tmp_path).run([PhotoJob("a", "http://x/1.jpg"), PhotoJob("a", "http://x/2.jpg")])


@pytest.mark.parametrize("step, mode", [("ledger:commit", "full"), ("file:replace", "full"), ("ledger:commit", "interrupt"), ("file:replace", "cancel")])
def test_a_run_stopped_at_any_write_step_keeps_what_landed_and_the_rerun_fetches_only_the_rest(tmp_path, server, step, mode):
    for i in range(12):
        (server.root / "photos" / f"s{i}.jpg").write_bytes(jpeg((0, 0, i * 20)))
    jobs = [PhotoJob(f"s/s-{i}", f"{server.url}/photos/s{i}.jpg") for i in range(12)]
    d = downloader(tmp_path, DownloadSettings(workers=1))
    with faults.arm(step, mode), pytest.raises((OutputError, KeyboardInterrupt, Cancelled)):
        d.run(jobs)
    assert not (d.catalog / ".lookalike-downloads").exists()
    landed = sorted(p.name for p in (d.catalog / "s").glob("*")) if (d.catalog / "s").exists() else []
    assert all(Image.open(d.catalog / "s" / name).format == "JPEG" for name in landed)
    before = sum(server.bodies.values())
    report = d.run(jobs)
    assert report.failed == [] and report.kept == len(landed) and report.fetched == 12 - len(landed)
    assert sum(server.bodies.values()) - before == 12 - len(landed)


def _self_signed(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    return cert, key


def test_many_photos_at_once_from_several_threads_all_land(tmp_path, server):
    for i in range(200):
        (server.root / "photos" / f"q{i}.jpg").write_bytes(jpeg((0, i, 0), (32, 32)))
    jobs = [PhotoJob(f"q/q-{i}", f"{server.url}/photos/q{i}.jpg") for i in range(200)]
    report = downloader(tmp_path, DownloadSettings(workers=8)).run(jobs)
    assert report.fetched == 200 and report.failed == []
    assert threading.active_count() < 20  # the workers are gone


def test_a_photo_that_fails_now_keeps_the_copy_fetched_before(tmp_path, server):
    d = downloader(tmp_path)
    job = PhotoJob("a/a-1", f"{server.url}/photos/a.jpg")
    d.run([job])
    (server.root / "photos/a.jpg").unlink()  # the shop answers 404 now
    report = d.run([job])
    assert report.files == {"a/a-1": "a/a-1.jpg"} and "the copy fetched before is kept" in report.failed[0]


def test_photos_the_shop_no_longer_lists_are_removed_and_files_not_fetched_are_never_replaced(tmp_path, server):
    d = downloader(tmp_path)
    d.run([PhotoJob("a/a-1", f"{server.url}/photos/a.jpg"), PhotoJob("b/b-1", f"{server.url}/photos/b.png")])
    mine = d.catalog / "c" / "c-1.jpg"
    mine.parent.mkdir()
    mine.write_bytes(b"the user's own photo")
    report = d.run([PhotoJob("a/a-1", f"{server.url}/photos/a.jpg"), PhotoJob("c/c-1", f"{server.url}/photos/a.jpg")])
    assert report.removed == 1 and not (d.catalog / "b").exists()
    assert mine.read_bytes() == b"the user's own photo" and "not replaced" in report.failed[0]


def test_a_photo_over_the_pixel_limit_is_said_too_large_with_its_size_not_not_an_image(tmp_path):
    from tests.conftest import huge_png

    media = tmp_path / "media"
    media.mkdir()
    (media / "bomb.png").write_bytes(huge_png(20000, 20000))  # over Pillow's own limit: refused as it opens
    (media / "poster.png").write_bytes(huge_png(13000, 12000))  # under Pillow's, over Lookalike's
    (media / "fine.png").write_bytes(huge_png(3000, 2000))
    jobs = [PhotoJob("a/a-1", "bomb.png"), PhotoJob("b/b-1", "poster.png"), PhotoJob("c/c-1", "fine.png")]
    report = downloader(tmp_path, media_dir=media).run(jobs)
    assert report.failed == [
        "a/a-1: bomb.png: too large: 400,000,000 pixels, over the 150,000,000-pixel limit Lookalike decodes",
        "b/b-1: poster.png: too large: 13,000 x 12,000 pixels, over the 150,000,000-pixel limit Lookalike decodes",
    ]
    assert report.fetched == 1 and report.files == {"c/c-1": "c/c-1.png"}


def test_a_photo_is_never_written_or_removed_through_a_link_that_leads_out_of_the_catalog(tmp_path):
    media = tmp_path / "media"
    (media / "m").mkdir(parents=True)
    (media / "m" / "mb01.jpg").write_bytes(jpeg())
    d = downloader(tmp_path, media_dir=media)
    jobs = [PhotoJob("mb01/mb01-1", "/m/mb01.jpg")]
    assert d.run(jobs).fetched == 1
    # The product's folder moved to another drive and linked back in; a photo of the user's own now has the name.
    drive = tmp_path / "drive" / "mb01"
    drive.parent.mkdir()
    shutil.move(d.catalog / "mb01", drive)
    (d.catalog / "mb01").symlink_to(drive, target_is_directory=True)
    theirs = jpeg((0, 200, 0), size=(90, 90))
    (drive / "mb01-1.jpg").write_bytes(theirs)
    (media / "m" / "mb01.jpg").write_bytes(jpeg((1, 2, 3), size=(70, 80)))  # the shop's photo changed

    report = d.run(jobs)
    assert report.fetched == 0 and len(report.failed) == 1
    assert "mb01/mb01-1.jpg leads through a link to" in report.failed[0] and report.failed[0].endswith("; not written")
    assert d.run([]).removed == 0  # the shop no longer lists it: still not removed through the link
    assert (drive / "mb01-1.jpg").read_bytes() == theirs


def test_one_photo_is_fetched_by_its_address_and_what_is_no_photo_is_said_in_a_line(server):
    from core.common import ImageError
    from core.shop import fetch_photo

    assert fetch_photo(f"{server.url}/photos/a.jpg", FAST) == jpeg()
    for path, reason in (("/page", "not an image"), ("/oversized", "cap"), ("/gone.jpg", "404"), ("/slow", "did not answer in time")):
        with pytest.raises(ImageError, match=reason) as raised:
            fetch_photo(f"{server.url}{path}", FAST)
        assert str(raised.value).startswith(f"{server.url}{path}: ") and "\n" not in str(raised.value)
    with pytest.raises(InputError):
        fetch_photo("ftp://127.0.0.1/a.jpg", FAST)


def test_fetching_one_photo_is_cancelled_at_once_while_the_server_is_still_silent(server):
    from core.shop import fetch_photo

    cancel = CancelToken()
    threading.Timer(0.3, cancel.cancel).start()
    started = time.monotonic()
    with pytest.raises(Cancelled):
        fetch_photo(f"{server.url}/slow", DownloadSettings(read_timeout=10, photo_timeout=10, retries=0), cancel)
    assert time.monotonic() - started < 1.0
