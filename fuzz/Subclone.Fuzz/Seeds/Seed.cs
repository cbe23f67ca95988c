namespace Subclone.Fuzz;

/// <summary>One file of the seed corpus: fuzz/corpus/<paramref name="Target"/>/<paramref name="Name"/>. Seeds named
/// valid-* must be accepted by their target (the replay tests check it), so the fuzzer starts from inputs that reach
/// the end of the reader.</summary>
internal sealed record Seed(string Target, string Name, byte[] Bytes);
