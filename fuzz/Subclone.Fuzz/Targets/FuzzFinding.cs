namespace Subclone.Fuzz;

/// <summary>A broken promise a harness detects itself (an unclear refusal, a token id the model cannot embed), thrown so
/// that afl-fuzz records it as a crash like any other unexpected exception.</summary>
internal sealed class FuzzFinding(string message, Exception? inner = null) : Exception(message, inner);
