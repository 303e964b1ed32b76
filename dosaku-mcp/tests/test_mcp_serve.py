"""`dosaku mcp serve` (a subprocess) listed and called by the official MCP SDK's client and by fastmcp's client, over
stdio and streamable HTTP: tool schemas from the tasks, an image result, a refused service call, an unknown tool."""
from __future__ import annotations

import base64
import io
import os

import anyio
import pytest
from helpers import background, free_port, program


def serve_command(*args: str) -> list[str]:
    return [program("dosaku"), "mcp", "serve", *args]


def sdk_client(*args: str):
    from mcp import Client, StdioServerParameters

    command = serve_command(*args)
    return Client(StdioServerParameters(command=command[0], args=command[1:], env=dict(os.environ)))


def run(coroutine_function):
    return anyio.run(coroutine_function)


def test_the_sdk_client_lists_and_calls_tools_over_stdio(home):
    from PIL import Image

    async def session():
        async with sdk_client("--task", "TextToImage", "--task", "Shout", "--task", "Tester") as client:
            tools = {tool.name: tool for tool in (await client.list_tools()).tools}
            painted = await client.call_tool("TextToImage__text_to_image", {"prompt": "a green field"})
            refused = await client.call_tool("Shout__shout", {"text": "hello"})
            bad = await client.call_tool("TextToImage__text_to_image", {"colour": "red"})
            with pytest.raises(Exception, match="Unknown tool: Nope__nothing"):
                await client.call_tool("Nope__nothing", {})
            return tools, painted, refused, bad

    tools, painted, refused, bad = run(session)
    assert set(tools) == {"TextToImage__text_to_image", "Shout__shout", "Tester__run"}  # never Tester__exec
    schema = tools["TextToImage__text_to_image"].input_schema
    assert schema["required"] == ["prompt"] and schema["properties"]["prompt"]["type"] == "string"
    assert tools["Shout__shout"].description.startswith("Shout (Shout a text.): Shout ``text``.")

    assert not painted.is_error
    text, image = painted.content
    assert text.type == "text" and '"artifact": "artifact-1"' in text.text
    assert image.type == "image" and image.mime_type == "image/png"
    picture = Image.open(io.BytesIO(base64.b64decode(image.data)))
    assert picture.size == (64, 48) and picture.convert("RGB").getpixel((1, 1)) == (0, 128, 0)

    assert refused.is_error
    assert "ServicePermissionRequired" in refused.content[0].text and "--enable-services" in refused.content[0].text
    assert bad.is_error and "Bad arguments for TextToImage.text_to_image" in bad.content[0].text


def test_services_only_with_enable_services(home):
    async def session():
        async with sdk_client("--task", "Shout", "--enable-services") as client:
            return await client.call_tool("Shout__shout", {"text": "hello"})

    shouted = run(session)
    assert not shouted.is_error and shouted.content[0].text == "HELLO!"


def test_the_default_tasks_are_those_it_may_do(home, add_server):
    add_server("time", "mcp-server-time")

    async def session():
        async with sdk_client() as client:
            return [tool.name for tool in (await client.list_tools()).tools]

    names = run(session)
    assert "TextToImage__text_to_image" in names and "Chat__message" in names
    assert not any(name.startswith(("Shout__", "Time__", "Tester__")) for name in names)  # refused or MCP's own


def test_fastmcp_client_with_a_claude_desktop_style_config(home):
    from fastmcp import Client

    config = {"mcpServers": {"dosaku": {"command": program("dosaku"),
                                        "args": ["mcp", "serve", "--task", "TextToImage", "--task", "Chat"],
                                        "env": dict(os.environ)}}}

    async def session():
        async with Client(config) as client:
            names = [tool.name for tool in await client.list_tools()]
            reply = await client.call_tool("Chat__message", {"message": "hello MCP"})
            painted = await client.call_tool("TextToImage__text_to_image", {"prompt": "blue"})
            return names, reply, painted

    names, reply, painted = run(session)
    assert "Chat__message" in names and "TextToImage__text_to_image" in names
    assert reply.content[0].text == "Hi, I'm EchoBot. You said: hello MCP"
    assert [item.type for item in painted.content] == ["text", "image"]


def test_streamable_http_with_both_clients(home):
    from fastmcp import Client as FastClient
    from mcp import Client

    port = free_port()
    with background(serve_command("--http", str(port), "--task", "TextToImage", "--task", "Shout"), port):
        url = f"http://127.0.0.1:{port}/mcp"

        async def session():
            async with Client(url) as client:
                names = [tool.name for tool in (await client.list_tools()).tools]
                painted = await client.call_tool("TextToImage__text_to_image", {"prompt": "red"})
                refused = await client.call_tool("Shout__shout", {"text": "x"})
            async with FastClient(url) as fast:
                fast_names = [tool.name for tool in await fast.list_tools()]
                fast_result = await fast.call_tool("TextToImage__text_to_image", {"prompt": "green"})
            return names, painted, refused, fast_names, fast_result

        names, painted, refused, fast_names, fast_result = run(session)
    assert names == fast_names == ["TextToImage__text_to_image", "Shout__shout"]
    assert painted.content[1].type == "image" and refused.is_error
    assert fast_result.content[1].type == "image"


def test_an_unknown_task_fails_at_start(home):
    import subprocess

    done = subprocess.run(serve_command("--task", "Chta"), capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL)
    assert done.returncode != 0 and "Unknown task 'Chta'. Did you mean: Chat?" in done.stderr


def test_an_mcp_server_learned_by_dosaku_is_served_on(home, add_server):
    add_server("time", "mcp-server-time --local-timezone UTC")

    async def session():
        async with sdk_client("--task", "Time") as client:
            names = [tool.name for tool in (await client.list_tools()).tools]
            now = await client.call_tool("Time__get_current_time", {"timezone": "America/Lima"})
            return names, now

    names, now = run(session)
    assert names == ["Time__get_current_time", "Time__convert_time"]
    assert not now.is_error and '"timezone": "America/Lima"' in now.content[0].text
