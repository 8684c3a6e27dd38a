"""Deployment: ``torch.export`` programs and ONNX files with a dynamic input
height and width, checked against PyTorch (:mod:`.export`: backbones,
necks, logits); whole models through mmdeploy, checked in onnxruntime
(:mod:`.whole_model`)."""
from .export import (EXPORTERS, MAX_SIZE, MIN_SIZE, TOLERANCE, TensorForward,
                     all_ok, check, check_range, compare, dynamic_hw,
                     export_onnx, export_program, flat_outputs, format_results,
                     integer_upsampling_sizes, onnx_runner, output_names,
                     program_runner, size_oblivious)

__all__ = [
    'EXPORTERS', 'MAX_SIZE', 'MIN_SIZE', 'TOLERANCE', 'TensorForward',
    'all_ok', 'check', 'check_range', 'compare', 'dynamic_hw', 'export_onnx',
    'export_program', 'flat_outputs', 'format_results',
    'integer_upsampling_sizes', 'onnx_runner', 'output_names',
    'program_runner', 'size_oblivious'
]
