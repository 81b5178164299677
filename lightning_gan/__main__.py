from lightning_gan.commands import main

main()
