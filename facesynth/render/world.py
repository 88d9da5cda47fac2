"""The world shader: an environment HDRI, its strength and its rotation about world Z."""

from __future__ import annotations

import math
from typing import Any

from facesynth.render._bpy import require_pixels
from facesynth.render.environment import resolve_hdri
from facesynth.render.sync import assign
from facesynth.sampling.spec import EnvironmentSpec


class World:
    """One world and one image block, re-pointed per sample (no data-block growth)."""

    def __init__(self, bpy: Any, scene: Any) -> None:
        self._bpy = bpy
        world = bpy.data.worlds.new("facesynth_world")
        if world.node_tree is None:  # Blender < 5
            world.use_nodes = True
        scene.world = world
        nodes, links = world.node_tree.nodes, world.node_tree.links
        nodes.clear()
        coords = nodes.new("ShaderNodeTexCoord")
        self.mapping = nodes.new("ShaderNodeMapping")
        self.env = nodes.new("ShaderNodeTexEnvironment")
        self.background = nodes.new("ShaderNodeBackground")
        out = nodes.new("ShaderNodeOutputWorld")
        links.new(coords.outputs["Generated"], self.mapping.inputs["Vector"])
        links.new(self.mapping.outputs["Vector"], self.env.inputs["Vector"])
        links.new(self.env.outputs["Color"], self.background.inputs["Color"])
        links.new(self.background.outputs["Background"], out.inputs["Surface"])
        self.world = world
        self.image: Any = None
        self.path: str | None = None

    def update(self, env: EnvironmentSpec) -> None:
        path = str(resolve_hdri(env.source, self._bpy))
        if path != self.path:
            if self.image is None:
                self.image = self._bpy.data.images.load(path, check_existing=False)
                self.env.image = self.image
            else:
                self.image.filepath = path
                self.image.reload()
            self.path = None  # until it is known to load
            require_pixels(self.image, path, "environment.hdri")
            self.path = path
        assign(self.background.inputs["Strength"], "default_value", float(env.strength))
        assign(self.mapping.inputs["Rotation"], "default_value", (0.0, 0.0, math.radians(env.rotation_deg)))
