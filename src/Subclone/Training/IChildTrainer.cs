namespace Subclone.Training;

/// <summary>A training run of one compared child whose curve <see cref="Comparison"/> collects: the encoder
/// distiller and the image trainer (the text trainer writes its own run directory and is driven directly).</summary>
public interface IChildTrainer : IDisposable
{
    List<StepMetrics> History { get; }
    void Run(IProgress<StepMetrics>? progress = null);
}
