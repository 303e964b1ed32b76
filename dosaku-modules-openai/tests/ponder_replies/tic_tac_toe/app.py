"""A gradio app: play tic tac toe against the perfect AI."""
import gradio as gr
from dosaku import Agent


def build_app() -> gr.Blocks:
    agent = Agent(enable_executors=True)
    agent.learn("TicTacToe")

    def play(row: float, column: float) -> str:
        try:
            return agent.TicTacToe(int(row), int(column))
        except ValueError as error:
            return str(error)

    with gr.Blocks() as app:
        board = gr.Textbox(value=agent.TicTacToe.new_game(), lines=6, label="Board")
        row, column = gr.Number(label="Row", value=1), gr.Number(label="Column", value=1)
        gr.Button("Play").click(play, [row, column], board)
        gr.Button("New game").click(lambda: agent.TicTacToe.new_game(), None, board)
    return app


if __name__ == "__main__":
    build_app().launch()
