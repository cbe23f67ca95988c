namespace Subclone.Training;

/// <summary>A training run of one compared child whose curve <see cref="Comparison"/> collects: the encoder
/// distiller and the image trainer (the text trainer writes its own run directory and is driven directly).</summary>
public interface IChildTrainer : IDisposable
{
    /// <summary>Every metrics row the run produced, in order (evaluations carry the validation loss).</summary>
    List<StepMetrics> History { get; }
    /// <summary>Trains for the options' steps, reporting each row to <paramref name="progress"/>.</summary>
    void Run(IProgress<StepMetrics>? progress = null);
}
