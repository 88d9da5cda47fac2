"""The farm job files in docs/jobs: syntax-checked with the tools that exist here (bash -n, Ray's
own cluster-config schema, YAML), their `facesynth render` options checked against the real
command, and the two shell patterns run for real: Slurm task 0 and a generic task 1 of 2 render
one shard each into one directory, which then verifies complete."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from facesynth.errors import UserError
from facesynth.io.verify import verify

JOBS = Path(__file__).resolve().parents[1] / "docs" / "jobs"
SHELL_JOBS = sorted(JOBS.glob("*.sh"))


def _render_options() -> set[str]:
    import typer.main

    from facesynth.cli import _mount, app

    _mount()
    command = typer.main.get_command(app).commands["render"]  # type: ignore[attr-defined]
    return {opt for param in command.params for opt in param.opts if opt.startswith("--")}


def _render_commands() -> dict[str, list[str]]:
    """Every `facesynth render ...` in the job files, as argument lists (shell continuations joined)."""
    found: dict[str, list[str]] = {}
    for path in sorted(JOBS.iterdir()):
        text = path.read_text()
        if path.suffix == ".sh":
            joined = re.sub(r"\\\n\s*", " ", text)
            commands = [line for line in joined.splitlines() if "facesynth render" in line and not line.startswith("#")]
            found.update({f"{path.name}:{i}": shlex.split(c) for i, c in enumerate(commands)})
        else:
            doc = yaml.safe_load(text)
            comments = re.sub(r"\\\n#\s*", " ", text)  # a command continued over comment lines
            for i, cmd in enumerate(re.findall(r"facesynth render[^'\n]*", comments)):
                found[f"{path.name}:comment{i}"] = shlex.split(cmd)
            if doc.get("kind") == "Job":
                found[f"{path.name}:container"] = doc["spec"]["template"]["spec"]["containers"][0]["command"]
    return found


def test_job_files_exist_for_each_scheduler() -> None:
    assert {p.name for p in JOBS.iterdir()} >= {"slurm-array.sh", "shard-task.sh", "k8s-indexed-job.yaml",
                                               "ray-cluster.yaml"}


@pytest.mark.parametrize("path", SHELL_JOBS, ids=[p.name for p in SHELL_JOBS])
def test_shell_job_files_parse(path: Path) -> None:
    result = subprocess.run(["bash", "-n", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert os.access(path, os.X_OK)


def test_ray_cluster_file_passes_rays_own_schema() -> None:
    pytest.importorskip("ray")
    from ray.autoscaler._private.util import prepare_config, validate_config

    config = yaml.safe_load((JOBS / "ray-cluster.yaml").read_text())
    validate_config(prepare_config(config))  # what `ray up` checks first; raises on a bad key
    assert config["max_workers"] == len(config["provider"]["worker_ips"])


def test_kubernetes_indexed_job_is_consistent() -> None:
    job = yaml.safe_load((JOBS / "k8s-indexed-job.yaml").read_text())
    assert (job["apiVersion"], job["kind"], job["spec"]["completionMode"]) == ("batch/v1", "Job", "Indexed")
    command = job["spec"]["template"]["spec"]["containers"][0]["command"]
    assert command[command.index("--shard-index") + 1] == "$(JOB_COMPLETION_INDEX)"
    assert int(command[command.index("--shard-count") + 1]) == job["spec"]["completions"]
    rule = job["spec"]["podFailurePolicy"]["rules"][0]
    assert rule["action"] == "FailIndex" and rule["onExitCodes"]["values"] == [UserError.exit_code]


def test_every_render_command_in_the_job_files_uses_real_options() -> None:
    options = _render_options()
    commands = _render_commands()
    assert len(commands) >= 4
    for where, argv in commands.items():
        used = {a.split("=")[0] for a in argv if a.startswith("--")}
        assert used <= options, f"{where}: unknown options {used - options}"


@pytest.mark.render
def test_slurm_task_and_generic_task_render_one_dataset(tmp_path: Path) -> None:
    recipe = tmp_path / "two.yaml"
    recipe.write_text("name: two\nseed: 1\nsamples: 2\nsubjects: {face_model: builtin, count: 2}\n"
                      "camera: {resolution: 32x40}\nrender: {samples: 1, denoise: false}\n"
                      "background: {kind: solid}\noutputs: [rgb, depth, landmarks]\n")
    out = tmp_path / "ds"
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
           "FACESYNTH_HOME": str(tmp_path / "home")}
    usage = subprocess.run([str(JOBS / "shard-task.sh"), str(recipe)], env=env, capture_output=True, text=True)
    assert usage.returncode == 2 and usage.stderr.startswith("usage:")
    slurm = subprocess.run([str(JOBS / "slurm-array.sh")], capture_output=True, text=True,
                           env={**env, "RECIPE": str(recipe), "OUT": str(out),
                                "SLURM_ARRAY_TASK_ID": "0", "SLURM_ARRAY_TASK_COUNT": "2"})
    assert slurm.returncode == 0, slurm.stderr
    generic = subprocess.run([str(JOBS / "shard-task.sh"), str(recipe), str(out), "1", "2"], env=env,
                             capture_output=True, text=True)
    assert generic.returncode == 0, generic.stderr
    assert [line.count('"event": "sample"') for line in (slurm.stdout, generic.stdout)] == [1, 1]
    report = verify(out)
    assert report.passed and len(report.ok) == 2 and not report.missing
