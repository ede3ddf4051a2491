import ArbiterTSDB

enum TestHead {
    static var empty: Head { Head() }
}
