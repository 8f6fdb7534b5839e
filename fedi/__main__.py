from fedi.cli.main import main

main()
