from lightning_gan.cli import main

main()
