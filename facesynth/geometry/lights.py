"""Light placement around the head pivot: ONE function for the renderer and the metadata."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from facesynth.geometry.camera import MM_PER_M
from facesynth.geometry.pose import Posed
from facesynth.sampling.spec import LightSpec


@dataclass(frozen=True, eq=False)
class LightPose:
    position_world_mm: np.ndarray
    direction_world: np.ndarray
    """Unit vector the light points along (from the light toward the head pivot)."""
    position_camera_mm: np.ndarray
    direction_camera: np.ndarray

    def blender_matrix_world_m(self) -> np.ndarray:
        """4x4 matrix_world (metres) for a Blender light: its -Z axis along `direction_world`,
        its +Y as close to world up as the direction allows."""
        back = -self.direction_world  # Blender light +Z
        up = np.array([0.0, 0.0, 1.0])
        if abs(back @ up) > 0.999:  # straight up/down: any horizontal reference will do
            up = np.array([0.0, 1.0, 0.0])
        x = np.cross(up, back)
        x /= np.linalg.norm(x)
        y = np.cross(back, x)
        m = np.eye(4)
        m[:3, :3] = np.stack([x, y, back], axis=1)
        m[:3, 3] = self.position_world_mm / MM_PER_M
        return m


def light_pose(light: LightSpec, posed: Posed) -> LightPose:
    """Where a light sits: azimuth 0 on the camera's side of the head, positive toward image +x
    (world +X), elevation above the world-horizontal plane through the head pivot, at
    `distance_mm` from the pivot, pointing at it. The head's rotation does not move lights."""
    az, el = np.radians([light.azimuth_deg, light.elevation_deg])
    # The camera sits on world -Y; world +Z is up.
    offset_dir = np.array([np.sin(az) * np.cos(el), -np.cos(az) * np.cos(el), np.sin(el)])
    pivot_world = _pivot_world(posed)
    pos = pivot_world + light.distance_mm * offset_dir
    direction = -offset_dir
    w2c = posed.camera.world_to_camera
    return LightPose(
        position_world_mm=pos,
        direction_world=direction,
        position_camera_mm=w2c[:3, :3] @ pos + w2c[:3, 3],
        direction_camera=w2c[:3, :3] @ direction,
    )


def _pivot_world(posed: Posed) -> np.ndarray:
    c2w = posed.camera.camera_to_world
    return c2w[:3, :3] @ posed.t_mm + c2w[:3, 3]
