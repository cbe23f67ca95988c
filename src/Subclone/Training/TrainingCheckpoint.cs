using Subclone.Checkpoints;
using Subclone.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Subclone.Training;

/// <summary>
/// A training run's directory: a Hugging Face model directory (float32 weights, config, tokenizer files) that
/// also holds trainer_state.json, the optimizer state and the metrics. It is written as a whole and renamed into
/// place, so weights, optimizer and step always belong together, even if the process dies mid-save.
/// </summary>
public sealed record TrainingCheckpoint(TransformerModel Model, TrainingState State, string Directory)
{
    /// <summary>The optimizer state's file name in the run directory.</summary>
    public const string OptimizerFile = "optimizer.bin";

    /// <summary>The optimizer state's path.</summary>
    public string OptimizerPath => Path.Combine(Directory, OptimizerFile);

    /// <summary>
    /// Loads a run directory written by <c>subclone train</c>: its model, state and optimizer file;
    /// a <see cref="UserInputException"/> when any is missing.
    /// </summary>
    public static TrainingCheckpoint Load(string directory)
    {
        string statePath = Path.Combine(directory, TrainingState.FileName);
        if (!File.Exists(statePath))
            throw new UserInputException($"{directory} has no {TrainingState.FileName}; resume needs a directory written by subclone train");
        if (!File.Exists(Path.Combine(directory, OptimizerFile)))
            throw new UserInputException($"{directory} has no {OptimizerFile}; it cannot be resumed exactly");
        var state = TrainingState.Read(statePath);
        return new TrainingCheckpoint(HfCheckpoint.Load(directory).Model, state, directory);
    }

    /// <summary>
    /// Writes the checkpoint over <paramref name="directory"/>. Files already there that a checkpoint does not
    /// produce (metrics, tokenizer files, notes) are carried into the new one.
    /// </summary>
    public static void Save(string directory, TransformerModel model, OptimizerHelper optimizer, TrainingState state, string? companionSource)
    {
        directory = Path.GetFullPath(directory.TrimEnd('/', '\\'));
        string parent = Path.GetDirectoryName(directory)!;
        System.IO.Directory.CreateDirectory(parent);
        string optimizerTemp = Path.Combine(parent, $".{Path.GetFileName(directory)}.optimizer-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            optimizer.save_state_dict(optimizerTemp);
            var produced = new HashSet<string>(StringComparer.Ordinal) { HfCheckpoint.ConfigFile, HfCheckpoint.IndexFile, TrainingState.FileName, OptimizerFile };
            var carried = System.IO.Directory.Exists(directory)
                ? System.IO.Directory.GetFiles(directory).Select(f => (Source: f, Name: Path.GetFileName(f)))
                    .Where(f => !produced.Contains(f.Name) && !f.Name.EndsWith(".safetensors", StringComparison.Ordinal)).ToList()
                : [];
            // Weights are saved in float32 whatever the source stored: a resumed run must start from the exact values.
            HfCheckpoint.Save(model, directory, ScalarType.Float32, companionSource, overwrite: true,
                extraFiles: [(TrainingState.FileName, state.ToJsonString())],
                copyFiles: [.. carried, (optimizerTemp, OptimizerFile)]);
        }
        finally
        {
            if (File.Exists(optimizerTemp)) File.Delete(optimizerTemp);
        }
    }
}
