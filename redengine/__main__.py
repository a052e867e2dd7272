from redengine.cli import main

main()
