{# The template of operations that call end_block() on the CUDA device: brian2cuda's own
   (stateupdate.cu extends common_group.cu and adds nothing), and after the kernel, the
   host reads whether end_block() marked the block over and then stops the network after
   this time step, as the C++ device does.  The copy waits for the kernel; it runs once
   per slot. #}
{# USES_VARIABLES { N } #}
{# ALLOWS_SCALAR_WRITE #}
{% extends 'common_group.cu' %}

{% block extra_headers %}
#include "network.h"
{% endblock %}

{% block extra_kernel_call_post %}
{
    int _block_over = 0;
    CUDA_SAFE_CALL(cudaMemcpyFromSymbol(&_block_over, _end_block_done, sizeof(int)));
    if (_block_over)
        Network::_globally_stopped = true;
}
{% endblock %}
