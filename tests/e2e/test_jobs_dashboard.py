"""The Jobs tab in Chromium: the demo's run is listed as a job with its progress per phase and log;
Retry starts a new job, which the tab follows live (no reload) until it completes."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect


def test_the_jobs_tab_lists_runs_and_follows_a_retried_job_until_it_completes(admin_page: Page) -> None:
    admin_page.get_by_role("tab", name="Jobs").click()
    rows = admin_page.locator("#jobs-table tbody tr.job")
    expect(rows.first).to_be_visible()
    # the demo's own run: other tests on the shared server add newer jobs (ZIP builds, retries)
    first = rows.filter(has=admin_page.locator(".job-progress li[data-phase='analyze']")).first
    expect(first.locator(".job-status")).to_have_text("completed")
    expect(first.locator(".job-progress li[data-phase='analyze']")).to_have_text(
        re.compile(r"analyze \d+/\d+")
    )
    before = rows.count()
    old_id = first.get_attribute("data-job")

    first.get_by_role("button", name="Retry").click()

    expect(rows).to_have_count(before + 1, timeout=30_000)
    newest = admin_page.locator("#jobs-table tbody tr.job").first
    assert newest.get_attribute("data-job") != old_id
    expect(newest.locator(".job-status")).to_have_text("completed", timeout=120_000)
    newest.locator("summary", has_text="Log").click()
    expect(newest.locator(".job-log")).to_contain_text("completed")
