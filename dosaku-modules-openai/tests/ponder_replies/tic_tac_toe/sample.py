"""Play tic tac toe against the perfect AI on the console."""
from dosaku import Agent


def main() -> None:
    agent = Agent(enable_executors=True)
    agent.learn("TicTacToe")
    print(agent.TicTacToe.new_game())
    while agent.TicTacToe.winner() is None:
        row, column = (int(part) for part in input("Your move (row column): ").split())
        try:
            print(agent.TicTacToe(row, column))
        except ValueError as error:
            print(error)


if __name__ == "__main__":
    main()
