"""`facesynth preview`: fast low-sample renders of a recipe's first samples in a captioned grid.

For curators: check the look of a recipe (poses, lights, backgrounds, skin tones) in seconds
before rendering a dataset. Rendering and labels are untouched; only samples and size shrink.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from PIL import Image, ImageDraw

from facesynth.atomic import atomic_path
from facesynth.errors import FacesynthError, UserError
from facesynth.sampling.spec import SampleSpec

CAPTION_PX = 14


def preview_spec(spec: SampleSpec, *, samples: int, scale: float) -> SampleSpec:
    """The same sample at `scale` x resolution and `samples` spp (denoised, so 8 spp reads well)."""
    cam = spec.camera
    w, h = max(8, round(cam.width * scale)), max(8, round(cam.height * scale))
    return spec.model_copy(update={
        "camera": cam.model_copy(update={"width": w, "height": h}),
        "render": spec.render.model_copy(update={"samples": samples, "denoise": True, "rgb_bit_depth": 8}),
    })


def caption(spec: SampleSpec) -> str:
    hp = spec.head_pose
    return (f"{spec.id} s{spec.subject.subject_id} {spec.expression.name} "
            f"y{hp.yaw_deg:+.0f} p{hp.pitch_deg:+.0f}")


def contact_sheet(tiles: list[np.ndarray], captions: list[str], columns: int | None = None) -> Image.Image:
    """RGB(A) uint8 tiles of equal size -> one grid with a caption strip under each tile."""
    h, w = tiles[0].shape[:2]
    cols = columns or math.ceil(math.sqrt(len(tiles)))
    rows = math.ceil(len(tiles) / cols)
    sheet = Image.new("RGB", (cols * w, rows * (h + CAPTION_PX)), (24, 24, 24))
    draw = ImageDraw.Draw(sheet)
    for k, (tile, text) in enumerate(zip(tiles, captions, strict=True)):
        x, y = (k % cols) * w, (k // cols) * (h + CAPTION_PX)
        im = Image.fromarray(tile)
        if im.mode == "RGBA":  # transparent backgrounds shown on grey
            base = Image.new("RGB", im.size, (128, 128, 128))
            base.paste(im, mask=im.split()[3])
            im = base
        sheet.paste(im.convert("RGB"), (x, y))
        draw.text((x + 2, y + h + 1), text[: max(4, w // 6)], fill=(230, 230, 230))
    return sheet


def preview_sheet(recipe: str | Path, n: int, out_png: str | Path, *, samples: int = 8,
                  scale: float = 0.5) -> Path:
    """Render the first `n` samples of `recipe` small and fast into a captioned grid PNG."""
    from facesynth.geometry.pose import pose_sample
    from facesynth.recipe import load_recipe
    from facesynth.render.face_model import load_face_model
    from facesynth.render.session import RenderSession
    from facesynth.sampling import sample_spec

    if n < 1:
        raise UserError(f"preview: -n must be at least 1, got {n}")
    if not 0 < scale <= 1:
        raise UserError(f"preview: --scale must be in (0, 1], got {scale}")
    loaded = load_recipe(recipe)
    n = min(n, loaded.recipe.samples)
    pack = load_face_model(loaded)
    tiles, captions = [], []
    with RenderSession(pack) as session:
        for i in range(n):
            spec = preview_spec(sample_spec(loaded, i), samples=samples, scale=scale)
            vertices = pack.deform(np.asarray(spec.subject.identity), spec.expression_weights())
            tiles.append(session.render(spec, vertices, pose_sample(spec, pack)).rgb)
            captions.append(caption(spec))
    # tiles can differ in size when the recipe randomises resolution: pad to the largest
    hmax = max(t.shape[0] for t in tiles)
    wmax = max(t.shape[1] for t in tiles)
    tiles = [_pad(t, hmax, wmax) for t in tiles]
    out = Path(out_png)
    with atomic_path(out) as tmp:
        contact_sheet(tiles, captions).save(tmp, format="PNG")
    return out


def _pad(tile: np.ndarray, h: int, w: int) -> np.ndarray:
    if tile.shape[:2] == (h, w):
        return tile
    out = np.zeros((h, w, tile.shape[2]), tile.dtype)
    out[: tile.shape[0], : tile.shape[1]] = tile
    return out


def register(app: typer.Typer) -> None:
    @app.command()
    def preview(
        recipe: Annotated[Path, typer.Argument(help="Recipe YAML file.")],
        n: Annotated[int, typer.Option("-n", help="How many of the first samples to show.")] = 16,
        out: Annotated[Path, typer.Option("--out", help="Contact sheet PNG to write.")] = Path("preview.png"),
        samples: Annotated[int, typer.Option("--samples", help="Cycles samples per pixel.")] = 8,
        scale: Annotated[float, typer.Option("--scale", help="Resolution factor, (0, 1].")] = 0.5,
    ) -> None:
        """Render the first N samples of a recipe small and fast into a captioned contact sheet."""
        try:
            path = preview_sheet(recipe, n, out, samples=samples, scale=scale)
        except UserError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
        except FacesynthError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(1) from None
        typer.echo(str(path))
