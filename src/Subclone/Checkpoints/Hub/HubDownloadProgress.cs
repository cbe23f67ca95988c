namespace Subclone.Checkpoints.Hub;

/// <summary>How far the download of one file has got: <paramref name="Total"/> is null when the Hub did not say.</summary>
public readonly record struct HubDownloadProgress(string File, long Downloaded, long? Total);
