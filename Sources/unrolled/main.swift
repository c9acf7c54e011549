import UnrolledCLI

Unrolled.main()
