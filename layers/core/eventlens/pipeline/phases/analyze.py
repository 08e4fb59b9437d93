"""analyze: decode once, then everything that needs pixels at the working size.

Dimensions, orientation, taken-at and an EXIF subset come from the original's header; the
working image (JPEG draft mode, <= 1920 px, EXIF-oriented) feeds the thumbnails, the dHash
(of the 320 px thumbnail: the hash sees 9x8 pixels anyway) and the NSFW score. With
`PipelineOptions.fuse`, local faces and the local describer run on that same array when
they are still pending, so `full` never decodes a photo twice.
"""

from __future__ import annotations

from uuid import UUID

from eventlens.errors import BadMedia
from eventlens.media.blur import blur_boxes
from eventlens.media.decode import DecodedMedia, dhash64, encode_jpeg, thumbnails
from eventlens.pipeline import repo
from eventlens.pipeline.context import PhaseContext, Row, fail_safely, load_media, run_photo_items
from eventlens.pipeline.phases import describe, faces
from eventlens.pipeline.phases.transcode import INLINE_MAX_S, transcode_one
from eventlens.pipeline.phases.transcode import run as run_transcodes
from eventlens.pipeline.repo import Analysis

PHASE = "analyze"


def run(ctx: PhaseContext) -> tuple[int, int, bool]:
    from eventlens.ml.nsfw import nsfw_model

    nsfw = nsfw_model()  # load before the clock-sensitive loop, and fail the phase if missing
    face_step = faces.FaceStep.create(ctx) if ctx.options.fuse and faces.runs_locally(ctx) else None
    describe_step = (
        describe.DescribeStep.create(ctx) if ctx.options.fuse and ctx.cfg.describer == "local" else None
    )
    blurred = blurred_regions(ctx)

    def work(row: Row) -> bool:
        try:
            media = load_media(ctx, row)
            analysis = analyze(ctx, row, media, nsfw.score(media.rgb), blurred.get(row.id))
        except Exception as exc:  # one photo's failure never fails the batch
            if row.kind == "video" and isinstance(exc, BadMedia):
                with ctx.scope.transaction() as tx:
                    repo.mark_invalid_video(tx, row.id, exc.message)
            return fail_safely(ctx, row, PHASE, exc)
        found = None
        if face_step is not None and row.faces_status == "pending":
            found = face_step.try_detect(media, row.id)
        description = None
        if describe_step is not None and row.describe_status == "pending":
            count = found.count if found is not None and found.ok else row.face_count
            description = describe_step.try_describe(row, media, face_count=count)
        with ctx.scope.transaction() as tx:
            repo.complete_analyze(tx, row.id, analysis, ctx.scope.tenant().settings.nsfw_threshold)
            if found is not None and face_step is not None:
                face_step.save(tx, row, found)
            if description is not None and describe_step is not None:
                describe_step.save(tx, row, description)
            if media.video is not None:
                facts = media.video
                repo.save_video(
                    tx,
                    row.id,
                    frame_rate=facts.frame_rate,
                    video_codec=facts.video_codec,
                    audio_codec=facts.audio_codec,
                    quality=facts.quality,
                    needs_transcode=not facts.playable,
                )
        if (
            media.video is not None
            and not media.video.playable
            and (media.video.duration_s or 0) <= INLINE_MAX_S
        ):
            with ctx.scope.transaction() as tx:
                claimed = repo.claim_transcode(tx, row.id)
            if claimed:
                transcode_one(ctx.scope, ctx.store, row.id, row.source_key)
        return True

    outcome = run_photo_items(ctx, PHASE, work)
    if face_step is not None:
        faces.cluster_new_faces(ctx)
    if outcome.exhausted:
        # time left over: videos still waiting for a transcode (longer than INLINE_MAX_S, or
        # retried), as many as fit; on AWS this is how the ML image reaches them too
        run_transcodes(ctx.scope, ctx.store, ctx.guard, first_regardless=False)
    return outcome.processed, outcome.errors, outcome.exhausted


def blurred_regions(ctx: PhaseContext) -> dict[UUID, list[tuple[float, float, float, float]]]:
    """Forget me's regions per photo, when the event blurs them in its renditions (read once a run)."""
    if not ctx.event.settings.blur_forgotten_faces:
        return {}
    from eventlens.findme.control import forgotten_regions

    return forgotten_regions(ctx.scope)


def analyze(
    ctx: PhaseContext,
    row: Row,
    media: DecodedMedia,
    nsfw_score: float | None,
    blur: list[tuple[float, float, float, float]] | None = None,
) -> Analysis:
    """What analyze stores for one photo; thumbnails are written to the store on the way, with
    the faces in `blur` (boxes in the original's pixels) blurred."""
    thumbs = thumbnails(media.image)
    keys = {}
    for size, image in thumbs.items():
        key = ctx.thumb_key(row.id, size)
        shown = blur_boxes(image, blur, image.width / media.width) if blur and media.width else image
        ctx.store.put(key, encode_jpeg(shown), "image/jpeg")
        keys[str(size)] = key
    video = row.kind == "video"
    return Analysis(
        width=media.width,
        height=media.height,
        orientation=media.orientation,
        taken_at=media.taken_at,
        exif=media.exif,
        thumbnails=keys,
        dhash=dhash64(thumbs[min(thumbs)]),
        nsfw_score=nsfw_score,
        duration_s=media.duration_s if video else None,
        has_audio=media.has_audio if video else None,
    )
