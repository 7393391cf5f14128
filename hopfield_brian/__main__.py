from hopfield_brian.cli import main
import sys
sys.exit(main())
