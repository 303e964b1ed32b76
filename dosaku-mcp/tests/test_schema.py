"""JSON schemas as Python actions (names, annotations, docs), results as Python values, values as MCP content."""
from __future__ import annotations

import base64
import inspect
import io

import pytest
from dosaku.agents.artifacts import ArtifactStore, UnknownArtifact
from dosaku.agents.tools import docstring_args, json_schema
from dosaku_mcp.schema import Action, annotation, identifier


def test_identifiers():
    assert identifier("get-time", set()) == "get_time"
    assert identifier("from", set()) == "from_"
    assert identifier("9lives", set()) == "tool_9lives"
    assert identifier("__secret", set()) == "secret"
    assert identifier("a.b", {"a_b"}) == "a_b_2"
    assert identifier("-", set()) == "tool"


@pytest.mark.parametrize("schema, expected", [
    ({"type": "string"}, "str"), ({"type": "integer"}, "int"), ({"type": "number"}, "float"),
    ({"type": "boolean"}, "bool"), ({"type": "object"}, "dict"), ({"type": "array", "items": {"type": "string"}},
                                                                  "list[str]"),
    ({"type": "array"}, "list"), ({"type": ["string", "null"]}, "str | None"),
    ({"anyOf": [{"type": "integer"}, {"type": "null"}]}, "int | None"), ({"enum": ["a", "b"]}, "str"),
    ({}, "Any"), ({"anyOf": [{"type": "integer"}, {"type": "string"}]}, "Any"),
])
def test_annotations_read_back_as_the_same_json_types(schema, expected):
    assert annotation(schema) == expected
    if expected in ("str", "int", "float", "bool"):
        assert json_schema(expected) == schema if "enum" not in schema else {"type": "string"}


def test_an_action_from_a_tool():
    tool = {"name": "search-files", "description": "Search files.\n\nSlow on big trees.", "input_schema": {
        "type": "object", "required": ["pattern"], "properties": {
            "from": {"type": "string", "description": "Where to start.", "default": "."},
            "pattern": {"type": "string", "description": "A glob."},
            "mode": {"enum": ["fast", "full"], "description": "How."}}},
        "annotations": {"read_only_hint": True}}
    action = Action.from_tool(tool, {"load"}, task="Files")
    assert action.name == "search_files" and action.tool == "search-files" and action.idempotent
    assert str(action.signature) == "(self, pattern: 'str', from_: 'str' = None, mode: 'str' = None) -> 'Any'"
    args = docstring_args(action.doc)
    assert args == {"pattern": "A glob.", "from_": 'Where to start. (default ".") Optional.',
                    "mode": 'How. (one of "fast", "full") Optional.'}
    assert action.doc.startswith("Search files.\n\nSlow on big trees.\n\nArgs:")
    bound = action.signature.bind(None, "*.py", from_="/src")
    assert action.arguments(bound) == {"pattern": "*.py", "from": "/src"}  # left-out options are not sent
    assert "agent.Files.search_files(pattern=...)" in action.doc


def test_action_names_avoid_the_modules_own_attributes(agent_factory, add_server):
    from dosaku.config import Config
    from dosaku.task import required_actions
    from dosaku_mcp.classes import build
    from dosaku_mcp.servers import entry
    from dosaku_mcp.tool_cache import ToolListing

    add_server("odd", "mcp-server-time")
    listing = ToolListing([{"name": name, "description": name, "input_schema": {"type": "object"}}
                           for name in ("load", "unload", "module", "call_tool", "do it")])
    task_class, module_class = build(entry(Config(), "odd"), listing)
    assert required_actions(task_class) == ["load_2", "unload_2", "module_2", "call_tool_2", "do_it"]
    assert module_class.unload is not task_class.__dict__["unload_2"]
    assert inspect.getdoc(task_class.do_it).startswith("do it")


def _png(colour=(0, 128, 0)) -> str:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (3, 2), colour).save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def test_results_as_python_values():
    import mcp_types as types
    from dosaku_mcp import MCPToolError
    from dosaku_mcp.results import to_python

    text = types.CallToolResult(content=[types.TextContent(text="hi")])
    assert to_python(text, "s", "t") == "hi"
    wrapped = types.CallToolResult(content=[types.TextContent(text="hi")], structured_content={"result": "hi"})
    assert to_python(wrapped, "s", "t", {"properties": {"result": {}}}) == "hi"
    structured = types.CallToolResult(content=[types.TextContent(text="{}")], structured_content={"a": 1})
    assert to_python(structured, "s", "t") == {"a": 1}
    mixed = types.CallToolResult(content=[types.TextContent(text="look"),
                                          types.ImageContent(data=_png(), mime_type="image/png")])
    words, image = to_python(mixed, "s", "t")
    assert words == "look" and image.size == (3, 2) and image.getpixel((0, 0)) == (0, 128, 0)
    assert to_python(types.CallToolResult(content=[]), "s", "t") is None
    with pytest.raises(MCPToolError, match="'t' of the server 's' failed: nope"):
        to_python(types.CallToolResult(content=[types.TextContent(text="nope")], is_error=True), "s", "t")


def test_values_as_mcp_content_and_image_arguments():
    from dosaku.tasks import RestoreFaces
    from dosaku_mcp.content import resolve_image, to_content
    from PIL import Image

    store = ArtifactStore()
    assert [item.text for item in to_content("plain", store)] == ["plain"]
    restored = RestoreFaces.RestoredImage(restored_image=Image.new("RGB", (4, 4), "blue"))
    text, image = to_content(restored, store)
    assert '"artifact": "artifact-1"' in text.text and image.mime_type == "image/png"
    assert Image.open(io.BytesIO(base64.b64decode(image.data))).size == (4, 4)
    assert resolve_image("artifact-1", store) is restored.restored_image  # its fields are kept first
    assert resolve_image("artifact-2", store) is restored
    assert resolve_image(f"data:image/png;base64,{_png()}", store).size == (3, 2)
    assert resolve_image(_png(), store).size == (3, 2)
    with pytest.raises(UnknownArtifact):
        resolve_image("artifact-9", store)
