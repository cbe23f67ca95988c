namespace Subclone.Checkpoints.Hub;

/// <summary>A request that failed in a way worth retrying (dropped connection, stall, 5xx); a download resumes where it stopped.</summary>
internal sealed class HubTransientException(string reason, Exception? inner = null) : Exception(reason, inner);
