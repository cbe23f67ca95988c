namespace Subclone.Fuzz;

/// <summary>
/// One reader under fuzzing. <see cref="Run"/> feeds it the input bytes and returns true if it accepted them, false if
/// it refused them with an expected one-line error (see <see cref="Refusal"/>); anything else it throws is a finding.
/// afl-fuzz (fuzz/run.sh) and the xunit replay of the corpus and crash reproducers call the same function.
/// </summary>
internal sealed record FuzzTarget(string Name, string Input, Func<byte[], bool> Run);
