from redengine.ops.cli import main

main()
