// The declaration in include/ is the whole target; libFuzzer itself comes with -sanitize=fuzzer.
