"""The video player page in Chromium against a real `eventlens demo`: the demo's MPEG-4 Part 2 clip
(which Chrome cannot play as it is) plays and seeks from its transcoded H.264/AAC rendition."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

PLAYS = """async (selector) => {
  const v = document.querySelector(selector);
  v.muted = true;
  await v.play();
  await new Promise((done) => {
    const check = () => (v.currentTime > 0.5 ? done() : setTimeout(check, 50));
    check();
  });
  v.pause();
  return {src: v.getAttribute('src'), time: v.currentTime, width: v.videoWidth, error: v.error && v.error.code};
}"""
"""Plays the video at `selector` muted until 0.5 s have played; what it played and how."""

SEEK = """async (to) => {
  const v = document.querySelector('#player');
  await new Promise((done) => { v.addEventListener('seeked', done, {once: true}); v.currentTime = to; });
  return {time: v.currentTime, ready: v.readyState};
}"""

LOADS = """async (url) => {
  const v = document.createElement('video');
  v.muted = true;
  const outcome = new Promise((done) => {
    v.addEventListener('loadeddata', () => done('loaded'), {once: true});
    v.addEventListener('error', () => done('error'), {once: true});
  });
  v.src = url;
  return outcome;
}"""


def test_a_transcoded_clip_plays_and_seeks_in_the_player(page: Page) -> None:
    videos = page.request.get("/api/events/demo/media?kind=video&limit=100").json()["items"]
    clip = next(v for v in videos if v["filename"] == "expo-walkthrough.mp4")
    assert (clip["video_codec"], clip["transcode_status"]) == ("mpeg4", "completed")
    page.goto(f"/video.html?event=demo&id={clip['id']}")

    expect(page.get_by_role("heading", level=1)).to_have_text("expo-walkthrough.mp4")
    # the player loads the transcoded rendition (H.264/AAC), not the MPEG-4 Part 2 original
    assert page.eval_on_selector("#player", "v => v.getAttribute('src')") == clip["play_url"]
    assert page.evaluate(LOADS, clip["play_url"]) == "loaded"
    played = page.evaluate(PLAYS, "#player")
    assert played["error"] is None
    assert (played["width"], played["time"] > 0.5) == (640, True)
    seeked = page.evaluate(SEEK, 4.0)
    assert abs(seeked["time"] - 4.0) < 0.2
    assert seeked["ready"] >= 2
    expect(page.locator("#reactions button")).to_have_count(6)
    expect(page.locator("#heatmap button")).to_have_count(20)
    related = page.locator("#related a")
    expect(related).to_have_count(1)  # the demo's other video
    expect(related).to_contain_text("keynote-recap.mp4")


def test_the_gallery_viewer_opens_a_video_in_the_player(page: Page) -> None:
    page.goto("/e/demo?kind=video")
    page.locator(".tile").first.click()
    page.get_by_role("link", name="Open in player").click()

    expect(page).to_have_url(re.compile(r"/video\.html\?event=demo&id=[0-9a-f-]{36}$"))
    expect(page.locator("#title")).to_have_text(re.compile(r"\.mp4$"))


def test_the_gallery_viewer_plays_a_transcoded_clip_from_its_rendition(page: Page) -> None:
    photos = page.request.get("/api/events/demo/photos?kind=video&limit=100").json()["photos"]
    clip = next(p for p in photos if p["filename"] == "expo-walkthrough.mp4")
    assert clip["play_url"] not in (None, clip["original_url"])  # MPEG-4 Part 2: its H.264 rendition
    page.goto("/e/demo?kind=video")
    page.locator(".tile-open").first.click()
    title = page.locator(".lb-title")
    expect(title).to_have_text(re.compile(r"\.mp4$"))
    if title.text_content() != "expo-walkthrough.mp4":
        page.keyboard.press("ArrowRight")
    expect(title).to_have_text("expo-walkthrough.mp4")

    played = page.evaluate(PLAYS, "dialog video.lb-media")

    assert played["src"] == clip["play_url"]
    assert played["error"] is None
    assert (played["width"], played["time"] > 0.5) == (640, True)
