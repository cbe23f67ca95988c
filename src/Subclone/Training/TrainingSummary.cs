namespace Subclone.Training;

/// <summary>How a <see cref="Trainer.Run"/> call ended.</summary>
public sealed record TrainingSummary(int Step, int StepsThisRun, double? TrainLoss, double? InitialValLoss, double? ValLoss,
    long Tokens, double Seconds, double StepsPerSecond, double TokensPerSecond, bool Stopped);
