from lightning_gan.main import main

main()
