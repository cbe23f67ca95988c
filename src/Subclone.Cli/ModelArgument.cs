
namespace Subclone.Cli;

/// <summary>Loads a MODEL argument, showing download progress on stderr when a Hub id is not yet in the cache.</summary>
public static class ModelArgument
{
    public static ModelSource Load(CliIo io, string spec, bool quiet, bool allowNonFinite = false)
    {
        // Only a download needs a progress display; a cached or local model loads as before, printing nothing.
        if (ModelSource.HubIdOf(spec) is { } id && !io.Hub.Offline && Checkpoints.Hub.HubDownloader.FindCached(id, io.Hub) is null)
            return Progress.Downloads(io, quiet, $"downloading {id} from {io.Hub.Endpoint}", progress => ModelSource.Load(spec, io.Hub, progress, allowNonFinite));
        return ModelSource.Load(spec, io.Hub, allowNonFinite: allowNonFinite);
    }
}
