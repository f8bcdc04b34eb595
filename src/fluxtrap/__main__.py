from fluxtrap.cli import main

main()
